import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DualEncoder } from '../../src/model/dual-encoder.js';
import { loadModel, modelWeights, saveModel } from '../../src/model/folder.js';
import { readSafetensors, writeSafetensors } from '../../src/weights/safetensors.js';
import { cjkChars, microConfig, needsTorch, tempDir, tokenizerOf } from '../helpers.js';

const texts = ['一七丈', '三上下不与', '丏丐丑丒专且丕世丗丘丙业丛东丝', 'x'];

test('save -> load gives identical embeddings and config', { skip: needsTorch }, () => {
  const { dir, cleanup } = tempDir();
  try {
    const tok = tokenizerOf(cjkChars(60));
    for (const pooling of ['cls', 'pooler', 'mean'] as const) {
      const model = DualEncoder.random(microConfig(tok.vocabSize, { pooling }), tok, 3);
      const out = join(dir, pooling);
      saveModel(model, out);
      const st = pooling === 'pooler' ? [] : ['1_Pooling', '2_Dense', '3_Normalize', 'config_sentence_transformers.json', 'modules.json', 'sentence_bert_config.json'];
      assert.deepEqual(readdirSync(out).sort(), [...st, 'config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'vocab.txt', 'weights_sha256.json', 'README.md'].sort());
      const { model: back, report } = loadModel(out);
      assert.deepEqual(report.initialised, []);
      assert.deepEqual(back.config, model.config);
      const a = model.embed(texts), b = back.embed(texts);
      a.forEach((v, i) => assert.deepEqual(Array.from(b[i]!), Array.from(v)));
      assert.ok(Math.abs(a[0]!.reduce((s, x) => s + x * x, 0) - 1) < 1e-5, 'embeddings are L2-normalised');
      assert.equal(a[0]!.length, 16);
    }
  } finally {
    cleanup();
  }
});

test('a Hugging Face BERT folder (bert. prefix, gamma/beta, MLM head, no projection) loads unchanged', { skip: needsTorch }, () => {
  const { dir, cleanup } = tempDir();
  try {
    const tok = tokenizerOf(cjkChars(60));
    const model = DualEncoder.random(microConfig(tok.vocabSize), tok, 3);
    const hf = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const [name, t] of modelWeights(model)) {
      if (name.startsWith('emb_reduce_linear')) continue;
      hf.set(`bert.${name.replace(/LayerNorm\.weight$/, 'LayerNorm.gamma').replace(/LayerNorm\.bias$/, 'LayerNorm.beta')}`, t);
    }
    hf.set('cls.predictions.bias', { shape: [tok.vocabSize], data: new Float32Array(tok.vocabSize) });
    hf.set('bert.adapter.weight', { shape: [2], data: new Float32Array(2) });
    writeSafetensors(join(dir, 'model.safetensors'), hf);
    const { inbatch: _drop, ...hfConfig } = model.config;
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...hfConfig, architectures: ['BertForMaskedLM'] }));
    writeFileSync(join(dir, 'vocab.txt'), tok.idToToken.join('\n') + '\n');
    const { model: loaded, report } = loadModel(dir, { output_emb_size: 0, max_seq_length: 32 });
    // the MLM head is expected in a pretraining checkpoint; anything else unused is reported
    assert.deepEqual(report.unused, ['adapter.weight']);
    assert.deepEqual(report.initialised, []);
    const withProjection = loadModel(dir, { max_seq_length: 32 }).report;
    assert.deepEqual(withProjection.initialised, ['emb_reduce_linear.weight', 'emb_reduce_linear.bias']);
    // every encoder weight arrived under its right name: the hidden-size CLS embeddings equal the original model's
    const original = new DualEncoder({ ...model.config, inbatch: { ...model.config.inbatch, output_emb_size: 0 } }, new Map([...model.params].filter(([n]) => !n.startsWith('emb_reduce_linear'))), tok);
    const a = original.embed(texts), b = loaded.embed(texts);
    assert.equal(b[0]!.length, 32);
    a.forEach((v, i) => v.forEach((x, k) => assert.ok(Math.abs(x - b[i]![k]!) < 1e-6, `text ${i} dim ${k}: ${x} vs ${b[i]![k]}`)));
  } finally {
    cleanup();
  }
});

test('broken folders give errors that name the file and problem', { skip: needsTorch }, () => {
  const { dir, cleanup } = tempDir();
  try {
    const tok = tokenizerOf(cjkChars(20));
    const model = DualEncoder.random(microConfig(tok.vocabSize), tok, 3);
    saveModel(model, join(dir, 'm'));
    const weights = join(dir, 'm', 'model.safetensors');
    const bytes = readFileSync(weights);
    writeFileSync(weights, bytes.subarray(0, bytes.length - 100));
    assert.throws(() => loadModel(join(dir, 'm')), /model\.safetensors: tensor .* runs past the end of the file/);
    const partial = new Map(modelWeights(model));
    partial.delete('encoder.layer.1.output.dense.weight');
    writeSafetensors(weights, partial);
    assert.throws(() => loadModel(join(dir, 'm')), /missing 1 parameter\(s\): encoder\.layer\.1\.output\.dense\.weight/);
    writeFileSync(join(dir, 'm', 'config.json'), '{ nope');
    assert.throws(() => loadModel(join(dir, 'm')), /config\.json: not valid JSON/);
    assert.throws(() => loadModel(join(dir, 'none')), /not a model folder \(no config\.json\)/);
    // failed loads write nothing, and the earlier save left no temporary or old folder behind
    assert.deepEqual(readdirSync(dir).filter((n) => n.startsWith('.tmp') || n.startsWith('.old')), []);
  } finally {
    cleanup();
  }
});

test('safetensors F16 and BF16 tensors are read as float32', () => {
  const { dir, cleanup } = tempDir();
  try {
    const header = JSON.stringify({ a: { dtype: 'F16', shape: [2], data_offsets: [0, 4] }, b: { dtype: 'BF16', shape: [1], data_offsets: [4, 6] } });
    const pad = ' '.repeat((8 - (header.length % 8)) % 8);
    const h = Buffer.from(header + pad);
    const buf = Buffer.alloc(8 + h.length + 6);
    buf.writeBigUInt64LE(BigInt(h.length));
    h.copy(buf, 8);
    buf.writeUInt16LE(0x3c00, 8 + h.length); // 1.0
    buf.writeUInt16LE(0xc000, 10 + h.length); // -2.0
    buf.writeUInt16LE(0x4040, 12 + h.length); // bf16 3.0
    writeFileSync(join(dir, 'x.safetensors'), buf);
    const { tensors } = readSafetensors(join(dir, 'x.safetensors'));
    assert.deepEqual(Array.from(tensors.get('a')!.data), [1, -2]);
    assert.deepEqual(Array.from(tensors.get('b')!.data), [3]);
  } finally {
    cleanup();
  }
});
