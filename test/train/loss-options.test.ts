// The loss's options beyond false-negative masking: logQ correction, the memory bank, Matryoshka.
// Each against a float64 reference written out here; the bank's contents and its resume; GradCache.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { DualEncoder } from '../../src/model/dual-encoder.js';
import { modelWeights } from '../../src/model/folder.js';
import type { TextPair } from '../../src/data/pairs.js';
import { padTokenLists } from '../../src/text/collate.js';
import * as T from '../../src/torch/index.js';
import { AdamW } from '../../src/train/adamw.js';
import { batchTexts } from '../../src/train/batch.js';
import { inBatchNegativesLoss, type InBatchNegativesOptions } from '../../src/train/inbatch-negatives.js';
import { MemoryBank } from '../../src/train/memory-bank.js';
import { checkBankFits } from '../../src/train/options.js';
import { EpochSampler } from '../../src/train/sampler.js';
import { trainStep } from '../../src/train/step.js';
import { TitleFrequency } from '../../src/train/title-frequency.js';
import { Trainer } from '../../src/train/trainer.js';
import { InMemoryTrainingData } from '../../src/train/training-data.js';
import { microConfig, needsTorch, tempDir, tokenizerOf } from '../helpers.js';
import { SYNTHETIC_CHARS, syntheticPairs } from './synthetic.js';

const tok = tokenizerOf(SYNTHETIC_CHARS);

interface Ref {
  margin: number; scale: number; d?: number; keys?: number[]; queryKeys?: number[]; logQ?: number[];
  bank?: number[][]; bankKeys?: number[]; bankLogQ?: number[]; bankQueries?: number[][]; bankQueryKeys?: number[]; dims?: number[]; weights?: number[]; distill?: number;
}

const dot = (a: number[], b: number[]) => a.reduce((s, x, k) => s + x * b[k]!, 0);
const prefixOf = (v: number[], d: number) => { const p = v.slice(0, d); const n = Math.hypot(...p); return p.map((x) => x / n); };

/**
 * Each row's log-softmax at prefix dimension d, written out in float64: masks from the full dimension,
 * -log q per column (-Infinity where masked). A dual bank's queries are more rows, each with its own bank
 * entry as the positive.
 */
function referenceLogSoftmax(q: number[][], t: number[][], o: Ref, d: number): number[][] {
  const columns = [...t, ...(o.bank ?? [])];
  const rows = [...q, ...(o.bankQueries ?? [])];
  const keys = o.keys ? [...o.keys, ...(o.bankKeys ?? [])] : undefined;
  const queryKeys = o.queryKeys ? [...o.queryKeys, ...(o.bankQueryKeys ?? [])] : undefined;
  const logQ = o.logQ ? [...o.logQ, ...(o.bankLogQ ?? (o.bank ?? []).map(() => 0))] : undefined;
  const full = rows.map((qi) => columns.map((c) => dot(qi, c)));
  const kept = full.map((row, i) => row.map((s, j) => {
    const p = positiveOf(q, t, i);
    if (j === p) return true;
    const sameText = keys !== undefined && (keys[j] === keys[p] || keys[j] === queryKeys?.[i]);
    const byScore = o.d !== undefined && s > row[p]! + o.d;
    return !(byScore || (sameText && (o.d !== undefined || j >= t.length || i >= q.length)));
  }));
  const D = q[0]!.length;
  const cut = (v: number[]) => (d === D ? v : prefixOf(v, d));
  return rows.map((qi, i) => {
    const p = positiveOf(q, t, i);
    const logits = columns.map((c, j) => o.scale * (dot(cut(qi), cut(c)) - (p === j ? o.margin : 0)) - (logQ ? logQ[j]! : 0));
    const live = logits.filter((_, j) => kept[i]![j]);
    const max = Math.max(...live);
    const logZ = max + Math.log(live.reduce((s, l) => s + Math.exp(l - max), 0));
    return logits.map((l, j) => (kept[i]![j] ? l - logZ : -Infinity));
  });
}

const positiveOf = (q: number[][], t: number[][], i: number) => (i < q.length ? i : t.length + i - q.length);

/** The full dimension's softmax per row: Matryoshka self-distillation's (detached) teacher. */
const teacherOf = (q: number[][], t: number[][], o: Ref) => referenceLogSoftmax(q, t, o, q[0]!.length).map((row) => row.map(Math.exp));

/**
 * The loss: one cross-entropy term per prefix; with distill, each shorter prefix adds distill · KL(p_full ||
 * p_prefix) per row, p_full held constant (`teacher`: the loss detaches it, so gradients are taken with it fixed).
 */
function referenceLoss(q: number[][], t: number[][], o: Ref, teacher = teacherOf(q, t, o)): number {
  const D = q[0]!.length;
  const dims = o.dims ?? [D], weights = o.weights ?? [1];
  let total = 0;
  dims.forEach((d, k) => {
    const logP = referenceLogSoftmax(q, t, o, d);
    let loss = 0;
    logP.forEach((row, i) => {
      loss -= row[positiveOf(q, t, i)]!;
      if (o.distill && d !== D) row.forEach((l, j) => { const p = teacher[i]![j]!; if (p > 0) loss += o.distill! * p * (Math.log(p) - l); });
    });
    total += weights[k]! * (loss / logP.length);
  });
  return total;
}

/** Central differences of the reference with respect to every query and title value. */
function numericGradients(q: number[][], t: number[][], o: Ref): { gq: number[][]; gt: number[][] } {
  const h = 1e-6;
  const teacher = teacherOf(q, t, o);
  const along = (which: number[][], i: number, k: number) => {
    const v = which[i]![k]!;
    which[i]![k] = v + h; const up = referenceLoss(q, t, o, teacher);
    which[i]![k] = v - h; const down = referenceLoss(q, t, o, teacher);
    which[i]![k] = v;
    return (up - down) / (2 * h);
  };
  return { gq: q.map((r, i) => r.map((_, k) => along(q, i, k))), gt: t.map((r, i) => r.map((_, k) => along(t, i, k))) };
}

const normalizedRows = (rows: number[][]) => rows.map((r) => { const n = Math.hypot(...r); return r.map((x) => x / n); });
const leaf = (rows: number[][]) => T.setRequiresGrad(T.fromData(Float64Array.from(rows.flat()), [rows.length, rows[0]!.length]));

test('logQ, the memory bank and Matryoshka, alone and together: loss and gradients equal a float64 reference', { skip: needsTorch }, () => {
  const q = normalizedRows([[1, 0.2, 0, 0.1], [0.1, 1, 0.3, 0], [0.3, 0.3, 1, 0.2]]);
  // title 3 is a hard negative with row 1's positive text; row 0's column 2 scores above its positive
  const t = normalizedRows([[0.7, 0.1, 0.1, 0.6], [0, 1, 0, 0.1], [1, 0.2, 0.05, 0.1], [0.2, 0.9, 0.3, 0]]);
  const bank = normalizedRows([[0.5, 0.5, 0.1, 0.2], [0.1, 0.95, 0.05, 0.2], [0.2, 0.1, 0.9, 0.4]]);
  const keys = [11, 22, 33, 22], bankKeys = [44, 22, 55]; // bank entry 1 holds row 1's positive text
  const queryKeys = [55, 33, 77]; // bank entry 2 holds row 0's query text; title 2 holds row 1's
  const bankQueries = normalizedRows([[0.6, 0.4, 0.2, 0.1], [0.05, 0.9, 0.1, 0.3], [1, 0.25, 0.05, 0.1]]);
  const logQ = [Math.log(0.5), Math.log(0.1), Math.log(0.02), Math.log(0.1)], bankLogQ = [Math.log(0.3), Math.log(0.1), Math.log(0.01)];
  const cases: Array<[string, Ref]> = [
    ['logQ', { margin: 0.2, scale: 30, logQ }],
    ['bank', { margin: 0.2, scale: 30, keys, queryKeys, bank, bankKeys }],
    ['matryoshka', { margin: 0.2, scale: 30, dims: [4, 2], weights: [1, 0.5] }],
    // bank query 0 holds title 1's text, bank query 2 title 0's; bank entry 1 (its positive) repeats title 1 and 3
    ['dual bank', { margin: 0.2, scale: 30, keys, queryKeys, bank, bankKeys, bankQueries, bankQueryKeys: [22, 88, 11] }],
    ['dual bank, all options', { margin: 0.2, scale: 30, d: 0.1, keys, queryKeys, logQ, bank, bankKeys, bankLogQ, bankQueries, bankQueryKeys: [22, 88, 11], dims: [4, 2], weights: [1, 0.5] }],
    ['all, with false-negative masking', { margin: 0.2, scale: 30, d: 0.1, keys, queryKeys, logQ, bank, bankKeys, bankLogQ, dims: [4, 3, 2], weights: [1, 1, 2] }],
    ['matryoshka, self-distilled', { margin: 0.2, scale: 30, dims: [4, 3, 2], weights: [1, 0.5, 2], distill: 0.7 }],
    ['self-distilled, every option and a dual bank', { margin: 0.2, scale: 30, d: 0.1, keys, queryKeys, logQ, bank, bankKeys, bankLogQ, bankQueries, bankQueryKeys: [22, 88, 11], dims: [4, 2], weights: [1, 0.5], distill: 1.5 }],
  ];
  for (const [name, o] of cases) {
    const Q = leaf(q), Tt = leaf(t);
    const options: InBatchNegativesOptions = {
      margin: o.margin, scale: o.scale,
      titleKeys: o.keys && Float64Array.from(o.keys), queryKeys: o.queryKeys && Float64Array.from(o.queryKeys), titleLogQ: o.logQ && Float64Array.from(o.logQ),
      falseNegatives: o.d === undefined ? undefined : { margin: o.d },
      bank: o.bank && {
        embeddings: T.fromData(Float64Array.from(o.bank.flat()), [o.bank.length, 4]), keys: Float64Array.from(o.bankKeys!), logQ: o.bankLogQ && Float64Array.from(o.bankLogQ),
        ...(o.bankQueries ? { queries: T.fromData(Float64Array.from(o.bankQueries.flat()), [o.bankQueries.length, 4]), queryKeys: Float64Array.from(o.bankQueryKeys!) } : {}),
      },
      matryoshka: o.dims && { dims: o.dims, weights: o.weights!, distill: o.distill ?? 0 },
    };
    const ref = referenceLoss(q, t, o);
    T.tidy(() => {
      const l = inBatchNegativesLoss(Q, Tt, options);
      assert.ok(Math.abs(T.item(l) - ref) < 1e-12, `${name}: loss ${T.item(l)} vs ${ref}`);
      T.backward(l);
    });
    const { gq, gt } = numericGradients(q, t, o);
    const close = (a: Float64Array, b: number[][]) => b.flat().every((x, i) => Math.abs(x - a[i]!) < 1e-6);
    assert.ok(close(T.toData(T.grad(Q)!) as Float64Array, gq), `${name}: query gradient`);
    assert.ok(close(T.toData(T.grad(Tt)!) as Float64Array, gt), `${name}: title gradient`);
  }
  // each option changes the loss (the reference is not of the plain loss in disguise)
  const plain = referenceLoss(q, t, { margin: 0.2, scale: 30 });
  for (const [name, o] of cases) assert.ok(Math.abs(referenceLoss(q, t, o) - plain) > 1e-3, `${name} changes the loss`);
  // distillation adds to the prefixes' loss (KL >= 0, here > 0: the prefixes rank differently)
  const distilled = cases.find(([n]) => n === 'matryoshka, self-distilled')![1];
  assert.ok(referenceLoss(q, t, distilled) - referenceLoss(q, t, { ...distilled, distill: 0 }) > 1e-3);
  // logQ that is the same for every title is no correction: each row's softmax is shift-invariant
  T.tidy(() => {
    const flat = T.item(inBatchNegativesLoss(leaf(q), leaf(t), { margin: 0.2, scale: 30, titleLogQ: new Float64Array(4).fill(Math.log(0.25)) }));
    assert.ok(Math.abs(flat - plain) < 1e-12);
  });
});

test('title frequency: counts every title column exactly (the table grows), log q = log(count / titles)', () => {
  const f = new TitleFrequency(4);
  for (let k = 1; k <= 5000; k++) f.add(k * 7919 + 0.0, k % 3 === 0 ? 3 : 1);
  assert.equal(f.distinctTitles, 5000);
  assert.equal(f.count(3 * 7919), 3);
  assert.equal(f.count(4 * 7919), 1);
  assert.equal(f.count(12345), 0);
  const pairs = [['a', 'x'], ['b', 'x'], ['c', 'x'], ['d', 'y'], ['e', 'z']].map(([query, positive], i): TextPair => ({ query: query!, positive: positive!, line: i + 1 }));
  pairs[4]!.hardNegative = 'x';
  const chars = tokenizerOf(['a', 'b', 'c', 'd', 'e', 'x', 'y', 'z']);
  const data = InMemoryTrainingData.fromPairs(pairs, chars, 8);
  const freq = TitleFrequency.ofData(data);
  assert.equal(freq.total, 6); // 5 positives + 1 hard negative
  const { hashes } = data.keysOf(Uint32Array.from([0, 3, 4]));
  const [x, y, z] = [hashes[0 * 3 + 1]!, hashes[1 * 3 + 1]!, hashes[2 * 3 + 1]!];
  assert.deepEqual([freq.count(x), freq.count(y), freq.count(z)], [4, 1, 1]);
  const lq = freq.logQ(Float64Array.from([x, y, 987654321]));
  assert.ok(Math.abs(lq[0]! - Math.log(4 / 6)) < 1e-15 && Math.abs(lq[1]! - Math.log(1 / 6)) < 1e-15);
  assert.ok(Math.abs(lq[2]! - Math.log(1 / 6)) < 1e-15, 'a title never counted is taken as drawn once');
});

test('memory bank: a ring that keeps the newest N, read oldest first; saved and restored exactly (53-bit keys); sizes refused by memory', () => {
  const bank = new MemoryBank(5, 2);
  const rows = (from: number, n: number) => Float32Array.from({ length: n * 2 }, (_, i) => from + Math.floor(i / 2) + (i % 2) / 10);
  const keys = (from: number, n: number) => Float64Array.from({ length: n }, (_, i) => 2 ** 52 + from + i);
  bank.push({ vectors: rows(0, 3), keys: keys(0, 3) });
  assert.deepEqual(Array.from(bank.contents().keys), [0, 1, 2].map((i) => 2 ** 52 + i));
  bank.push({ vectors: rows(3, 4), keys: keys(3, 4) });
  const c = bank.contents();
  assert.deepEqual(Array.from(c.keys), [2, 3, 4, 5, 6].map((i) => 2 ** 52 + i));
  assert.deepEqual(Array.from(c.vectors), Array.from(rows(2, 5)));
  bank.push({ vectors: rows(10, 7), keys: keys(10, 7) }); // more than fit at once: the last 5
  assert.deepEqual(Array.from(bank.contents().keys), [12, 13, 14, 15, 16].map((i) => 2 ** 52 + i));
  const { dir, cleanup } = tempDir();
  try {
    bank.save(dir);
    const back = new MemoryBank(5, 2);
    back.restore(dir);
    assert.deepEqual(back.contents(), bank.contents());
    back.push({ vectors: rows(20, 1), keys: keys(20, 1) });
    bank.push({ vectors: rows(20, 1), keys: keys(20, 1) });
    assert.deepEqual(back.contents(), bank.contents(), 'the restored ring continues where the saved one was');
    assert.throws(() => new MemoryBank(5, 3).restore(dir), /memory_bank\.safetensors: not a memory bank of dimension 3/);
    assert.throws(() => new MemoryBank(5, 2, true).restore(dir), /not a dual memory bank of dimension 2/, 'a titles-only checkpoint has no queries');
    // a dual bank keeps each entry's query beside its title, in the same ring order
    const dual = new MemoryBank(4, 2, true);
    const entries = (from: number, n: number) => ({ vectors: rows(from, n), keys: keys(from, n), queries: rows(100 + from, n), queryKeys: keys(100 + from, n) });
    assert.throws(() => dual.push({ vectors: rows(0, 2), keys: keys(0, 2) }), /a dual bank needs 2 queries of 2/);
    dual.push(entries(0, 3));
    dual.push(entries(3, 3));
    const d = dual.contents();
    assert.deepEqual(Array.from(d.keys), [2, 3, 4, 5].map((i) => 2 ** 52 + i));
    assert.deepEqual(Array.from(d.queryKeys!), [102, 103, 104, 105].map((i) => 2 ** 52 + i));
    assert.deepEqual(Array.from(d.queries!), Array.from(rows(102, 4)));
    assert.equal(dual.bytes, 2 * (4 * 2 * 4 + 4 * 8));
    dual.save(dir);
    const dualBack = new MemoryBank(4, 2, true);
    dualBack.restore(dir);
    assert.deepEqual(dualBack.contents(), dual.contents());
  } finally {
    cleanup();
  }
  checkBankFits(65536, 256, 8 * 2 ** 30);
  assert.throws(() => checkBankFits(1 << 24, 256, 8 * 2 ** 30), /memoryBankSize \(--memory-bank-size\) 16777216 x 256 dimensions needs 16512 MiB/);
});

function skewedData() {
  const { train } = syntheticPairs(20, 8, 4);
  // skew: every third query also has concept 0's first positive as a hard negative
  train.forEach((p, i) => { if (i % 3 === 0) p.hardNegative = train[0]!.positive; });
  return InMemoryTrainingData.fromPairs(train, tok, 32);
}
const noDropout = () => ({ ...microConfig(tok.vocabSize, { pooling: 'mean', dropout: 0 }), hidden_dropout_prob: 0, attention_probs_dropout_prob: 0 });

test('the bank holds the last steps\' title embeddings in order, each as the model embedded it at its step', { skip: needsTorch }, async () => {
  const data = skewedData();
  const { dir, cleanup } = tempDir();
  try {
    const o = { batchSize: 8, learningRate: 1e-3, epochs: 1, maxSteps: 4, seed: 3, quiet: true, saveSteps: 0 };
    // warm-up past the run: the bank fills but is never used, so training is the plain run's
    const banked = DualEncoder.random(noDropout(), tok, 5);
    const trainer = new Trainer(banked, data, { ...o, saveDir: join(dir, 'a'), memoryBankSize: 24, memoryBankWarmup: 100 });
    await trainer.train();
    // the same steps by hand, recording each batch's titles as the model embeds them before its update
    const model = DualEncoder.random(noDropout(), tok, 5);
    model.setTrainable(true);
    const optimizer = new AdamW(model.trainableParameters());
    const sampler = new EpochSampler(data, { batchSize: 8, seed: 3, groupByLength: true }, 0);
    const seen: { vectors: Float32Array; keys: Float64Array }[] = [];
    for (let step = 0; step < 4; step++) {
      const batch = batchTexts(data, sampler.next()!);
      seen.push({ vectors: T.tidy(() => T.noGrad(() => T.toFloat32(model.forward(padTokenLists(batch.titles, tok.padId), true)))), keys: batch.titleKeys });
      trainStep(model, optimizer, batch, { margin: 0.2, scale: 30, maxGradNorm: 5, lr: trainer['lr'](step), stepSeed: 3 * 7919 + step, padId: tok.padId, columns: data.columns });
    }
    const titles = seen.reduce((n, s) => n + s.keys.length, 0);
    assert.ok(titles > 24, 'the run pushed more titles than the bank holds');
    const expectKeys = seen.flatMap((s) => Array.from(s.keys)).slice(-24);
    const expectVectors = seen.flatMap((s) => Array.from(s.vectors)).slice(-24 * banked.dim);
    const got = trainer.bank!.contents();
    assert.deepEqual(Array.from(got.keys), expectKeys);
    let diff = 0;
    got.vectors.forEach((v, i) => { diff = Math.max(diff, Math.abs(v - expectVectors[i]!)); });
    assert.ok(diff < 1e-6, `bank vectors differ from the embeddings by ${diff}`);
  } finally {
    cleanup();
  }
});

function maxWeightDiff(a: DualEncoder, b: DualEncoder): number {
  const wa = modelWeights(a), wb = modelWeights(b);
  let d = 0;
  for (const [name, t] of wa) t.data.forEach((x, i) => { d = Math.max(d, Math.abs(x - wb.get(name)!.data[i]!)); });
  return d;
}

for (const dual of [false, true]) test(`all options together${dual ? ', dual bank' : ''}: a resumed run (bank restored) ends with the uninterrupted run's weights; GradCache chunks end with the plain step's`, { skip: needsTorch }, async () => {
  const data = skewedData();
  const { dir, cleanup } = tempDir();
  try {
    const o = {
      batchSize: 8, learningRate: 1e-3, epochs: 1, maxSteps: 10, seed: 3, quiet: true, saveSteps: 0,
      logqCorrection: true, memoryBankSize: 20, memoryBankWarmup: 2, memoryBankQueries: dual || undefined, matryoshkaDims: [16, 8, 4], matryoshkaDistill: 0.5, falseNegativeMargin: 0.3,
    };
    // checkpoints hold float32 weights: the resume is compared in float32, as the plain resume test does
    const straight = DualEncoder.random(noDropout(), tok, 5);
    const full = await new Trainer(straight, data, { ...o, saveDir: join(dir, 'a'), loggingSteps: 1 }).train();
    assert.equal(full.state.globalStep, 10);
    const first = DualEncoder.random(noDropout(), tok, 5);
    const stop = new AbortController();
    await new Trainer(first, data, { ...o, saveDir: join(dir, 'b') }, { signal: stop.signal, onStep: (s) => { if (s.globalStep === 6) stop.abort(); } }).train();
    const second = DualEncoder.random(noDropout(), tok, 77);
    await new Trainer(second, data, { ...o, saveDir: join(dir, 'b'), resume: join(dir, 'b', 'checkpoint-6') }).train();
    const d = maxWeightDiff(straight, second);
    assert.ok(d <= 1e-6, `resumed vs uninterrupted: max weight difference ${d}`);
    // without the bank in the checkpoint the resumed run differs (so the comparison above can fail)
    const third = DualEncoder.random(noDropout(), tok, 77);
    const forgetful = new Trainer(third, data, { ...o, saveDir: join(dir, 'b'), resume: join(dir, 'b', 'checkpoint-6') });
    forgetful.bank!.restore = () => undefined;
    await forgetful.train();
    const df = maxWeightDiff(straight, third);
    assert.ok(df > 1e-4, `an empty bank on resume changes training (${df})`);
    // GradCache: chunks of 3 rows end where the plain steps end (float64: exact up to rounding)
    const plain64 = DualEncoder.random(noDropout(), tok, 5).cast('float64');
    await new Trainer(plain64, data, { ...o, saveDir: join(dir, 'c') }).train();
    const cached = DualEncoder.random(noDropout(), tok, 5).cast('float64');
    await new Trainer(cached, data, { ...o, saveDir: join(dir, 'd'), gradCacheChunkSize: 3 }).train();
    const dc = maxWeightDiff(plain64, cached);
    assert.ok(dc <= 1e-10, `GradCache: max weight difference ${dc}`);
    // and the options changed training
    const plain = DualEncoder.random(noDropout(), tok, 5);
    await new Trainer(plain, data, { batchSize: 8, learningRate: 1e-3, epochs: 1, maxSteps: 10, seed: 3, quiet: true, saveSteps: 0, saveDir: join(dir, 'e') }).train();
    assert.ok(maxWeightDiff(straight, plain) > 1e-4);
  } finally {
    cleanup();
  }
});

test('contradictory options are refused by name before training; a resume with other loss options is refused', { skip: needsTorch }, async () => {
  const data = skewedData();
  const { dir, cleanup } = tempDir();
  try {
    const o = { batchSize: 8, learningRate: 1e-3, epochs: 1, maxSteps: 2, seed: 3, quiet: true, saveDir: join(dir, 'run'), saveSteps: 2 };
    const model = () => DualEncoder.random(microConfig(tok.vocabSize), tok, 1); // output size 16
    assert.throws(() => new Trainer(model(), data, { ...o, matryoshkaDims: [32, 16] }), /--matryoshka-dims\) 32 larger than the model's output size 16/);
    assert.throws(() => new Trainer(model(), data, { ...o, matryoshkaDims: [8, 4] }), /must start with the model's output size 16/);
    assert.throws(() => new Trainer(model(), data, { ...o, matryoshkaDims: [16, 4, 8] }), /must go from the output size down/);
    assert.throws(() => new Trainer(model(), data, { ...o, matryoshkaDims: [16, 8], matryoshkaWeights: [1] }), /--matryoshka-weights\) must be 2 non-negative numbers/);
    assert.throws(() => new Trainer(model(), data, { ...o, memoryBankWarmup: 5 }), /--memory-bank-warmup\) needs --memory-bank-size/);
    assert.throws(() => new Trainer(model(), data, { ...o, matryoshkaDistill: 1 }), /--matryoshka-distill\) needs --matryoshka-dims/);
    assert.throws(() => new Trainer(model(), data, { ...o, matryoshkaDims: [16, 8], matryoshkaDistill: -1 }), /--matryoshka-distill\) must be in \[0, 100\], got -1/);
    assert.throws(() => new Trainer(model(), data, { ...o, memoryBankSize: 1 << 30 }), /--memory-bank-size\) 1073741824 x 16 dimensions needs/);
    await new Trainer(model(), data, { ...o, memoryBankSize: 16 }).train();
    await assert.rejects(new Trainer(model(), data, { ...o, maxSteps: 4, resume: true, memoryBankSize: 32 }).train(), /was trained with --memory-bank-size 16, now 32: a resumed run must keep its loss options/);
    await assert.rejects(new Trainer(model(), data, { ...o, maxSteps: 4, resume: true, memoryBankSize: 16, logqCorrection: true }).train(), /was trained with --logq-correction off, now true/);
  } finally {
    cleanup();
  }
});
