// The sentence-transformers layout: a reader written here the way SentenceTransformer(dir) reads
// modules.json (Transformer -> Pooling -> Dense -> Normalize) gives inbatch's vectors; a
// sentence-transformers folder given as --model keeps its pooling and Dense.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readSafetensors } from '../../src/weights/safetensors.js';
import { bertForward } from '../../src/model/bert.js';
import { DualEncoder } from '../../src/model/dual-encoder.js';
import { loadModel, saveModel } from '../../src/model/folder.js';
import * as T from '../../src/torch/index.js';
import { cjkChars, microConfig, mixedTexts, needsTorch, tempDir, tokenizerOf } from '../helpers.js';

const chars = cjkChars(60);
const tok = tokenizerOf(chars);
const texts = mixedTexts(chars, 20);

/** SentenceTransformer(dir).encode(text), module by module from the folder's files (the Transformer is BERT's forward). */
function stEncode(dir: string, model: DualEncoder, text: string): Float32Array {
  const modules = JSON.parse(readFileSync(join(dir, 'modules.json'), 'utf8')) as { path: string; type: string }[];
  const maxLen = (JSON.parse(readFileSync(join(dir, 'sentence_bert_config.json'), 'utf8')) as { max_seq_length: number }).max_seq_length;
  const e = model.tokenizer.encode(text, maxLen);
  const L = e.inputIds.length, H = model.config.hidden_size;
  const inputs = { inputIds: T.fromData(BigInt64Array.from(e.inputIds, BigInt), [1, L]), tokenTypeIds: T.fromData(new BigInt64Array(L), [1, L]), attentionMask: T.fromData(new BigInt64Array(L).fill(1n), [1, L]) };
  const tokens = T.toFloat32(bertForward(model.params, model.config, inputs, false)); // [1, L, H]
  let v: Float32Array = tokens;
  for (const m of modules) {
    const kind = m.type.split('.').pop();
    if (kind === 'Pooling') {
      const c = JSON.parse(readFileSync(join(dir, m.path, 'config.json'), 'utf8'));
      v = new Float32Array(H);
      if (c.pooling_mode_cls_token) v.set(tokens.subarray(0, H));
      else for (let t = 0; t < L; t++) for (let h = 0; h < H; h++) v[h]! += tokens[t * H + h]! / L;
    } else if (kind === 'Dense') {
      const c = JSON.parse(readFileSync(join(dir, m.path, 'config.json'), 'utf8'));
      assert.equal(c.activation_function, 'torch.nn.modules.linear.Identity');
      const w = readSafetensors(join(dir, m.path, 'model.safetensors')).tensors;
      const W = w.get('linear.weight')!, b = w.get('linear.bias')!;
      const out = new Float32Array(c.out_features);
      for (let o = 0; o < c.out_features; o++) { let s = b.data[o]!; for (let i = 0; i < c.in_features; i++) s += W.data[o * c.in_features + i]! * v[i]!; out[o] = s; }
      v = out;
    } else if (kind === 'Normalize') {
      const n = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
      v = v.map((x) => x / n);
    }
  }
  return v;
}

test('saved cls and mean models read as sentence-transformers modules give inbatch\'s vectors; pooler gets no modules.json', { skip: needsTorch }, () => {
  const { dir, cleanup } = tempDir();
  try {
    for (const pooling of ['cls', 'mean'] as const) {
      const model = DualEncoder.random(microConfig(tok.vocabSize, { pooling, dropout: 0 }), tok, 4);
      const out = join(dir, pooling);
      saveModel(model, out);
      for (const f of ['modules.json', '1_Pooling/config.json', '2_Dense/config.json', '2_Dense/model.safetensors', 'config_sentence_transformers.json', 'sentence_bert_config.json']) assert.ok(existsSync(join(out, f)), f);
      const ours = model.embed(texts);
      texts.forEach((t, i) => {
        const v = stEncode(out, model, t);
        assert.equal(v.length, 16);
        v.forEach((x, k) => assert.ok(Math.abs(x - ours[i]![k]!) < 1e-5, `${pooling} "${t}" dim ${k}: ${x} vs ${ours[i]![k]}`));
      });
      // the folder without inbatch's own settings is a sentence-transformers folder: --model keeps its pooling and Dense
      const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
      delete config.inbatch;
      writeFileSync(join(out, 'config.json'), JSON.stringify(config));
      const { model: asSt } = loadModel(out);
      assert.deepEqual([asSt.config.inbatch.pooling, asSt.config.inbatch.output_emb_size], [pooling, 16]);
      asSt.embed(texts).forEach((v, i) => v.forEach((x, k) => assert.ok(Math.abs(x - ours[i]![k]!) < 1e-6)));
    }
    const pooler = DualEncoder.random(microConfig(tok.vocabSize, { pooling: 'pooler' }), tok, 4);
    saveModel(pooler, join(dir, 'pooler'));
    assert.equal(existsSync(join(dir, 'pooler', 'modules.json')), false);
    // a Dense with an activation inbatch cannot reproduce is refused by name
    const dense = join(dir, 'mean', '2_Dense', 'config.json');
    writeFileSync(dense, JSON.stringify({ ...JSON.parse(readFileSync(dense, 'utf8')), activation_function: 'torch.nn.modules.activation.Tanh' }));
    assert.throws(() => loadModel(join(dir, 'mean')), /Dense module with activation torch\.nn\.modules\.activation\.Tanh is not supported/);
  } finally {
    cleanup();
  }
});
