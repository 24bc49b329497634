// GradCache: chunked steps give the plain step's weights (dropout off), one chunk of the whole batch is
// the plain step (dropout on), and each chunk's graph pass replays its first pass's dropout masks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DualEncoder } from '../../src/model/dual-encoder.js';
import { modelWeights } from '../../src/model/folder.js';
import { InMemoryTrainingData } from '../../src/train/training-data.js';
import { AdamW } from '../../src/train/adamw.js';
import { checkReplay } from '../../src/train/grad-cache.js';
import { batchTexts } from '../../src/train/batch.js';
import { trainStep } from '../../src/train/step.js';
import { planEpoch } from '../../src/train/sampler.js';
import { Trainer } from '../../src/train/trainer.js';
import { microConfig, needsTorch, tempDir, tokenizerOf } from '../helpers.js';
import { SYNTHETIC_CHARS, syntheticPairs } from './synthetic.js';

const tok = tokenizerOf(SYNTHETIC_CHARS);

function pairsWithHardNegatives() {
  const { train } = syntheticPairs(40, 12, 21);
  train.forEach((p, i) => { if (i % 2 === 0) p.hardNegative = train[(i + 13) % train.length]!.positive; });
  return InMemoryTrainingData.fromPairs(train, tok, 32);
}

function maxDiff(a: DualEncoder, b: DualEncoder): number {
  const wa = modelWeights(a), wb = modelWeights(b);
  let d = 0;
  for (const [name, t] of wa) t.data.forEach((x, i) => { d = Math.max(d, Math.abs(x - wb.get(name)!.data[i]!)); });
  return d;
}

async function trainBoth(dropout: number, chunk: number, steps: number, dtype: 'float32' | 'float64' = 'float32', extra: { falseNegativeMargin?: number } = {}) {
  const data = pairsWithHardNegatives();
  const config = { ...microConfig(tok.vocabSize, { pooling: 'mean', dropout }), hidden_dropout_prob: dropout, attention_probs_dropout_prob: dropout };
  const { dir, cleanup } = tempDir();
  try {
    const plain = DualEncoder.random(config, tok, 8).cast(dtype), cached = DualEncoder.random(config, tok, 8).cast(dtype);
    const o = { batchSize: 32, learningRate: 1e-3, epochs: 10, maxSteps: steps, seed: 2, quiet: true, saveSteps: 0, ...extra };
    await new Trainer(plain, data, { ...o, saveDir: `${dir}/a` }).train();
    await new Trainer(cached, data, { ...o, saveDir: `${dir}/b`, gradCacheChunkSize: chunk }).train();
    return maxDiff(plain, cached);
  } finally {
    cleanup();
  }
}

test('dropout off: chunks of 8 of a batch of 32 (with hard negatives) end with the plain step\'s weights after 15 steps', { skip: needsTorch }, async () => {
  // exact up to rounding: in float64 the two agree to ~1e-15
  const d64 = await trainBoth(0, 8, 15, 'float64');
  assert.ok(d64 <= 1e-10, `float64: max weight difference ${d64}`);
  // in float32 the gradients differ by rounding (another summation order); AdamW's first update,
  // lr·g/(|g|+eps), turns that into ~2.5e-5 on weights whose gradient is near zero, and it stays there
  const d32 = await trainBoth(0, 8, 15);
  assert.ok(d32 <= 5e-5, `float32: max weight difference ${d32}`);
});

test('dropout on: one chunk of the whole batch is the plain step', { skip: needsTorch }, async () => {
  const d = await trainBoth(0.1, 32, 5);
  assert.ok(d <= 1e-6, `max weight difference ${d}`);
  // and chunks of 8 are not (other masks), so the comparison above can fail
  assert.ok(await trainBoth(0.1, 8, 5) > 1e-4);
});

test('dropout on, chunks of 8: each chunk\'s graph pass sees exactly its first pass\'s masks', { skip: needsTorch }, () => {
  const data = pairsWithHardNegatives();
  const config = { ...microConfig(tok.vocabSize, { pooling: 'mean', dropout: 0.1 }), hidden_dropout_prob: 0.1, attention_probs_dropout_prob: 0.1 };
  const model = DualEncoder.random(config, tok, 3);
  model.setTrainable(true);
  const optimizer = new AdamW(model.trainableParameters());
  const rows = planEpoch(data, { batchSize: 32, seed: 1, groupByLength: true }, 0).batches[0]!;
  const r = trainStep(model, optimizer, batchTexts(data, rows), { margin: 0.2, scale: 30, maxGradNorm: 5, lr: 1e-3, stepSeed: 11, chunkSize: 8, padId: tok.padId, columns: data.columns });
  assert.equal(r.replayMaxDiff, 0, 'replayed embeddings differ from the first pass');
  assert.ok(Number.isFinite(r.loss) && r.loss > 0);
});

test('a step whose chunks were not replayed exactly is refused, naming the step and the device', () => {
  checkReplay(0, 1, 'cpu');
  checkReplay(2e-7, 1, 'cuda:0'); // a GPU's reductions may differ in the last bits
  assert.throws(() => checkReplay(0.03, 7, 'cuda:1'), /GradCache: at step 7 a chunk's graph pass differs from its first pass by 0\.03 .*not replayed on cuda:1/);
  assert.throws(() => checkReplay(NaN, 2, 'cpu'), /at step 2/);
});

test('false-negative masking composes with GradCache: chunks of 8 end with the plain masked step\'s weights', { skip: needsTorch }, async () => {
  const masked = await trainBoth(0, 8, 10, 'float64', { falseNegativeMargin: -0.02 });
  assert.ok(masked <= 1e-10, `float64: max weight difference ${masked}`);
  // the mask changes training (so the comparison above is not of two unmasked runs)
  const data = pairsWithHardNegatives();
  const config = { ...microConfig(tok.vocabSize, { pooling: 'mean', dropout: 0 }), hidden_dropout_prob: 0, attention_probs_dropout_prob: 0 };
  const model = DualEncoder.random(config, tok, 8).cast('float64');
  model.setTrainable(true);
  const optimizer = new AdamW(model.trainableParameters());
  const rows = planEpoch(data, { batchSize: 32, seed: 2, groupByLength: true }, 0).batches[0]!;
  const batch = batchTexts(data, rows);
  const r = trainStep(model, optimizer, batch, { margin: 0.2, scale: 30, maxGradNorm: 1, lr: 1e-3, stepSeed: 1, padId: tok.padId, columns: data.columns, falseNegativeMargin: -0.02 });
  assert.ok(r.falseNegatives!.masked > 0, 'some negatives were masked');
  model.dispose();
});
