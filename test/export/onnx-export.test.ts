import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { readSafetensors, writeSafetensors } from '../../src/weights/safetensors.js';
import { join } from 'node:path';
import { exportModel } from '../../src/export/export-model.js';
import { floatToHalf } from '../../src/util/float16.js';
import { vectorDrift } from '../../src/eval/vector-drift.js';
import { Embedder } from '../../src/infer/embedder.js';
import { loadModel } from '../../src/model/folder.js';
import { cjkChars, microConfig, mixedTexts, needsTorch, tempDir, tokenizerOf, writeRandomModel } from '../helpers.js';

const chars = cjkChars(80);
const tok = tokenizerOf([...chars, 'hello', 'world', '!', '，', '？', 'abc', '123']);


test('float16 conversion rounds like IEEE half', () => {
  assert.equal(floatToHalf(1), 0x3c00);
  assert.equal(floatToHalf(-2), 0xc000);
  assert.equal(floatToHalf(65504), 0x7bff);
  assert.equal(floatToHalf(1e6), 0x7c00);
  assert.equal(floatToHalf(2 ** -24), 0x0001);
  assert.equal(floatToHalf(1 + 2 ** -11), 0x3c00); // tie rounds to even
  assert.equal(floatToHalf(1 + 3 * 2 ** -11), 0x3c02);
});

test('export writes the transformers.js layout; fp16 stays within cosine 0.999 of fp32', async () => {
  const { dir, cleanup } = tempDir();
  try {
    writeRandomModel(join(dir, 'm'), microConfig(tok.vocabSize, { pooling: 'mean' }), tok);
    const report = exportModel(join(dir, 'm'), join(dir, 'onnx'), { fp16: true });
    for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx', 'onnx/model_fp16.onnx']) assert.ok(existsSync(join(dir, 'onnx', f)), f);
    assert.ok(report.bytes['onnx/model_fp16.onnx']! < 0.6 * report.bytes['onnx/model.onnx']!);
    const texts = mixedTexts(chars);
    const fp32 = await Embedder.load(join(dir, 'onnx'));
    const fp16 = await Embedder.load(join(dir, 'onnx'), { precision: 'fp16' });
    const a = await fp32.embed(texts), b = await fp16.embed(texts);
    const { minCos } = vectorDrift(a, b);
    assert.ok(minCos >= 0.999, `fp16 vs fp32 min cosine ${minCos}`);
    // batching and length sorting do not change an embedding
    const alone = await fp32.embed([texts[7]!]);
    assert.ok(vectorDrift(alone, [a[7]!]).maxAbs < 1e-5);
    const sims = await fp32.similarity(texts[3]!, [texts[3]!, texts[4]!]);
    assert.ok(Math.abs(sims[0]!.similarity - 1) < 1e-5 && sims[0]!.text === texts[3]);
    await fp32.release(); await fp16.release();
    assert.equal(JSON.parse(readFileSync(join(dir, 'onnx', 'config.json'), 'utf8')).inbatch.pooling, 'mean');
  } finally {
    cleanup();
  }
});

test('onnxruntime fp32 matches the libtorch model on 200 mixed texts, every pooling', { skip: needsTorch }, async () => {
  const { dir, cleanup } = tempDir();
  try {
    for (const pooling of ['cls', 'pooler', 'mean'] as const) {
      writeRandomModel(join(dir, pooling), microConfig(tok.vocabSize, { pooling }), tok, 3);
      exportModel(join(dir, pooling), join(dir, `${pooling}-onnx`), { fp16: true });
      const texts = mixedTexts(chars);
      const reference = loadModel(join(dir, pooling)).model.embed(texts);
      const fp32 = await Embedder.load(join(dir, `${pooling}-onnx`));
      const got = vectorDrift(await fp32.embed(texts), reference);
      assert.ok(got.maxAbs <= 1e-4, `${pooling}: max abs diff ${got.maxAbs}`);
      assert.ok(got.minCos >= 0.99999, `${pooling}: min cosine ${got.minCos}`);
      const fp16 = await Embedder.load(join(dir, `${pooling}-onnx`), { precision: 'fp16' });
      const half = vectorDrift(await fp16.embed(texts), reference);
      assert.ok(half.minCos >= 0.999, `${pooling}: fp16 min cosine ${half.minCos}`);
      await fp32.release(); await fp16.release();
    }
  } finally {
    cleanup();
  }
});

test('export errors name the folder and the problem', () => {
  const { dir, cleanup } = tempDir();
  try {
    assert.throws(() => exportModel(join(dir, 'none'), join(dir, 'out'), { fp16: false }), /not a model folder/);
    writeRandomModel(join(dir, 'm'), microConfig(tok.vocabSize), tok);
    assert.throws(() => exportModel(join(dir, 'm'), join(dir, 'out'), { fp16: false, opset: 13 }), /LayerNormalization needs opset 17/);
    assert.ok(!existsSync(join(dir, 'out')), 'refused before writing');
    // a broken model (layer 1 lacks a weight) is refused by the same check as training's, and the
    // earlier export is left as it was (a refusal never clears the output first; a kill in the
    // middle of a write is kill-during-write.test.ts's)
    exportModel(join(dir, 'm'), join(dir, 'out'), { fp16: false });
    const before = readFileSync(join(dir, 'out', 'onnx', 'model.onnx'));
    const weights = readSafetensors(join(dir, 'm', 'model.safetensors')).tensors;
    weights.delete('encoder.layer.1.output.dense.weight');
    writeSafetensors(join(dir, 'm', 'model.safetensors'), weights);
    assert.throws(() => exportModel(join(dir, 'm'), join(dir, 'out'), { fp16: true }), /model\.safetensors: missing 1 parameter\(s\): encoder\.layer\.1\.output\.dense\.weight/);
    assert.deepEqual(readFileSync(join(dir, 'out', 'onnx', 'model.onnx')), before);
  } finally {
    cleanup();
  }
});
