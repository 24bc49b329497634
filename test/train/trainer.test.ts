import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DualEncoder } from '../../src/model/dual-encoder.js';
import { modelWeights } from '../../src/model/folder.js';
import { prepareTrainingData } from '../../src/train/training-data.js';
import { listCheckpoints } from '../../src/train/checkpoint.js';
import { Trainer } from '../../src/train/trainer.js';
import { collapseLoss, CollapseWatch } from '../../src/train/collapse-watch.js';
import { RecallEvaluator } from '../../src/retrieval/recall-evaluator.js';
import { DEFAULT_HNSW } from '../../src/vectors/hnsw.js';
import { microConfig, needsTorch, tempDir, tokenizerOf } from '../helpers.js';
import { SYNTHETIC_CHARS, syntheticPairs } from './synthetic.js';

const tok = tokenizerOf(SYNTHETIC_CHARS);

function weightsOf(model: DualEncoder): Map<string, Float32Array> {
  return new Map([...modelWeights(model)].map(([k, v]) => [k, v.data]));
}

test('a resumed run ends with exactly the weights of an uninterrupted one', { skip: needsTorch }, async () => {
  const { dir, cleanup } = tempDir();
  try {
    const { train } = syntheticPairs(20, 8, 1);
    const data = prepareTrainingData(train, tok, 32);
    const opts = { batchSize: 8, learningRate: 1e-3, epochs: 2, warmupProportion: 0.1, weightDecay: 0.01, seed: 5, quiet: true, loggingSteps: 5 };
    const straight = DualEncoder.random(microConfig(tok.vocabSize), tok, 11);
    const full = await new Trainer(straight, data, { ...opts, saveDir: join(dir, 'a') }).train();
    assert.equal(full.state.globalStep, 40);

    // interrupted at step 25 (as by Ctrl-C): it writes checkpoint-25 beside the periodic 10 and 20
    const first = DualEncoder.random(microConfig(tok.vocabSize), tok, 11);
    const stop = new AbortController();
    const cut = await new Trainer(first, data, {
      ...opts, saveDir: join(dir, 'b'), saveSteps: 10, keepCheckpoints: 3,
    }, { signal: stop.signal, onStep: (s) => { if (s.globalStep === 25) stop.abort(); } }).train();
    assert.equal(cut.interrupted, true);
    assert.deepEqual(listCheckpoints(join(dir, 'b')).map((c) => c.step), [10, 20, 25]);
    const second = DualEncoder.random(microConfig(tok.vocabSize), tok, 99); // different start: resume must overwrite it
    // resume from the periodic checkpoint 20 (not the latest) to show any checkpoint continues exactly
    const resumed = await new Trainer(second, data, { ...opts, saveDir: join(dir, 'b'), saveSteps: 10, resume: join(dir, 'b', 'checkpoint-20') }).train();
    assert.equal(resumed.state.globalStep, 40);

    const a = weightsOf(straight), b = weightsOf(second);
    for (const [name, w] of a) {
      const v = b.get(name)!;
      let maxDiff = 0;
      w.forEach((x, i) => { maxDiff = Math.max(maxDiff, Math.abs(x - v[i]!)); });
      assert.ok(maxDiff <= 1e-6, `${name} differs by ${maxDiff}`);
    }
    // no temporary folders left behind; the log and chart are written
    assert.deepEqual(readdirSync(join(dir, 'b')).filter((n) => n.startsWith('.tmp') || n.startsWith('.old')), []);
    const log = readFileSync(join(dir, 'a', 'train_log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(log.filter((l) => typeof l.loss === 'number').length, 8);
    assert.ok(log.every((l) => typeof l.time === 'string'));
    assert.ok(readFileSync(join(dir, 'a', 'loss.svg'), 'utf8').startsWith('<svg'));
    assert.ok(existsSync(join(dir, 'a', 'model_final', 'model.safetensors')));
  } finally {
    cleanup();
  }
});

test('training clearly raises Recall@5 on held-back pairs, and keeps model_best', { skip: needsTorch }, async () => {
  const { dir, cleanup } = tempDir();
  try {
    const { train, heldOut } = syntheticPairs(60, 12, 2);
    const model = DualEncoder.random(microConfig(tok.vocabSize, { pooling: 'mean' }), tok, 1);
    const evaluator = new RecallEvaluator(heldOut.map((p) => ({ query: p.query, gold: p.positive })), heldOut.map((p) => p.positive), { recallNum: 10, index: { kind: 'exact', hnsw: DEFAULT_HNSW } });
    const before = (await evaluator.evaluate(model)).scores;
    const result = await new Trainer(model, prepareTrainingData(train, tok, 32), {
      saveDir: dir, batchSize: 32, learningRate: 2e-3, epochs: 300, maxSteps: 300, evalSteps: 100, seed: 3, quiet: true,
    }, { evaluator }).train();
    const after = result.evaluations.at(-1)!.scores;
    assert.ok(after.success_at_5! > before.success_at_5! + 30, `Recall@5 ${before.success_at_5} -> ${after.success_at_5}`);
    assert.ok(after.success_at_1! > before.success_at_1!, `Recall@1 ${before.success_at_1} -> ${after.success_at_1}`);
    assert.equal(result.state.bestScore, Math.max(...result.evaluations.map((e) => e.scores.success_at_5!)));
    assert.ok(existsSync(join(dir, 'model_best', 'model.safetensors')));
    assert.ok(existsSync(join(dir, 'recall.svg')));
  } finally {
    cleanup();
  }
});

test('the loop yields: a timer fires during training, AbortSignal.timeout stops it, and the hooks see every event', { skip: needsTorch }, async () => {
  const { dir, cleanup } = tempDir();
  try {
    const { train } = syntheticPairs(40, 8, 4);
    const data = prepareTrainingData(train, tok, 32);
    const model = DualEncoder.random(microConfig(tok.vocabSize, { pooling: 'mean' }), tok, 2);
    const evaluator = new RecallEvaluator(train.slice(0, 16).map((p) => ({ query: p.query, gold: p.positive })), train.slice(0, 16).map((p) => p.positive), { recallNum: 5, index: { kind: 'exact', hnsw: DEFAULT_HNSW } });
    let ticks = 0;
    const timer = setInterval(() => { ticks++; }, 5);
    const logs: number[] = [], evals: number[] = [], checkpoints: number[] = [];
    let lossChartDuringRun = false;
    const result = await new Trainer(model, data, {
      saveDir: dir, batchSize: 8, learningRate: 1e-3, epochs: 100000, saveSteps: 7, evalSteps: 5, loggingSteps: 3, chartSteps: 4, quiet: true,
    }, {
      evaluator, signal: AbortSignal.timeout(1500),
      onLog: (r) => { logs.push(r.step); assert.ok(r.loss > 0 && r.lr > 0 && r.grad_norm > 0 && r.pairs_per_s > 0); },
      onEvaluate: (step, r) => { evals.push(step); assert.equal(typeof r.scores.success_at_5, 'number'); },
      onCheckpoint: (step) => { checkpoints.push(step); lossChartDuringRun ||= existsSync(join(dir, 'loss.svg')); },
    }).train();
    clearInterval(timer);
    const steps = result.state.globalStep;
    assert.equal(result.interrupted, true, 'the timeout signal fired while the loop ran');
    assert.ok(ticks > 5, `the event loop ran ${ticks} timer ticks during training`);
    assert.deepEqual(logs, Array.from({ length: Math.floor(steps / 3) }, (_, i) => 3 * (i + 1)));
    assert.deepEqual(evals, Array.from({ length: Math.floor(steps / 5) }, (_, i) => 5 * (i + 1)));
    assert.deepEqual(checkpoints, [...Array.from({ length: Math.floor(steps / 7) }, (_, i) => 7 * (i + 1)), ...(steps % 7 ? [steps] : [])]);
    assert.ok(lossChartDuringRun, 'loss.svg was drawn before the run ended');
    assert.ok(existsSync(join(dir, 'recall.svg')));
  } finally {
    cleanup();
  }
});

test('the collapse loss is log(1 + (T-1) e^(margin scale)), and a run stuck there is warned about once', () => {
  assert.ok(Math.abs(collapseLoss(64, 0.2, 30) - Math.log(1 + 63 * Math.exp(6))) < 1e-12);
  assert.ok(Math.abs(collapseLoss(64, 0.2, 30) - 10.143) < 1e-3, 'the README\'s 10.2 for batch 64');
  const watch = new CollapseWatch(0.2, 30, 5, 0.05);
  const stuck = collapseLoss(32, 0.2, 30) + 0.01;
  const warnings = Array.from({ length: 12 }, () => watch.observe(stuck, 32));
  assert.equal(warnings.filter(Boolean).length, 1);
  assert.equal(warnings.findIndex(Boolean), 4);
  assert.match(warnings[4]!, /mean pooling and no dropout .*--learning-rate/);
  const learning = new CollapseWatch(0.2, 30, 5, 0.05);
  assert.ok(Array.from({ length: 12 }, (_, i) => learning.observe(stuck - 0.1 * (i % 2), 32)).every((w) => w === undefined), 'a loss that moves away is not warned about');
});

test('a save dir remembers its run: a new run is refused unless --overwrite, a resume on other data or batch size is refused', { skip: needsTorch }, async () => {
  const { dir, cleanup } = tempDir();
  try {
    const { train } = syntheticPairs(20, 4, 6);
    const data = prepareTrainingData(train, tok, 32);
    const fresh = () => DualEncoder.random(microConfig(tok.vocabSize), tok, 3);
    const opts = { saveDir: dir, batchSize: 8, learningRate: 1e-3, epochs: 1, maxSteps: 6, saveSteps: 3, quiet: true };
    await new Trainer(fresh(), data, opts).train();
    const state = JSON.parse(readFileSync(join(dir, 'checkpoint-6', 'trainer_state.json'), 'utf8'));
    assert.match(state.runId, /^[0-9a-f]{16}$/);
    assert.match(state.dataFingerprint, /^80:[0-9a-f]{16}$/);
    // a second fresh run would have its checkpoints pruned in favour of the old ones: refused
    await assert.rejects(new Trainer(fresh(), data, opts).train(), /holds checkpoints of an earlier run \(steps 3, 6\); continue it with --resume, start over with --overwrite/);
    const other = prepareTrainingData(train.slice(0, 40), tok, 32);
    await assert.rejects(new Trainer(fresh(), other, { ...opts, maxSteps: 9, resume: true }).train(), /was trained on other data \(80 rows/);
    await assert.rejects(new Trainer(fresh(), data, { ...opts, batchSize: 16, maxSteps: 9, resume: true }).train(), /was trained with batchSize 8, now 16/);
    const again = await new Trainer(fresh(), data, { ...opts, overwrite: true }).train();
    assert.equal(again.state.globalStep, 6);
    assert.notEqual(JSON.parse(readFileSync(join(dir, 'checkpoint-6', 'trainer_state.json'), 'utf8')).runId, state.runId);
    // resuming keeps the run id
    const resumed = await new Trainer(fresh(), data, { ...opts, maxSteps: 9, resume: true }).train();
    assert.equal(resumed.state.runId, again.state.runId);
  } finally {
    cleanup();
  }
});

test('a resume with other loss options (false-negative masking) is refused; a bad margin is refused before training', { skip: needsTorch }, async () => {
  const { dir, cleanup } = tempDir();
  try {
    const { train } = syntheticPairs(10, 4, 3);
    const data = prepareTrainingData(train, tok, 32);
    const opts = { batchSize: 8, learningRate: 1e-3, epochs: 1, seed: 5, quiet: true, saveDir: join(dir, 'run'), saveSteps: 2, maxSteps: 2 };
    await new Trainer(DualEncoder.random(microConfig(tok.vocabSize), tok, 1), data, opts).train();
    await assert.rejects(new Trainer(DualEncoder.random(microConfig(tok.vocabSize), tok, 1), data, { ...opts, maxSteps: 4, resume: true, falseNegativeMargin: 0.1 }).train(),
      /was trained with --false-negative-margin off, now 0\.1: a resumed run must keep its loss options/);
    assert.throws(() => new Trainer(DualEncoder.random(microConfig(tok.vocabSize), tok, 1), data, { ...opts, falseNegativeMargin: -1.5 }), /--false-negative-margin\) must be in \[-1, 2\]/);
    assert.throws(() => new Trainer(DualEncoder.random(microConfig(tok.vocabSize), tok, 1), data, { ...opts, falseNegativeWarmup: 3 }), /--false-negative-warmup\) needs --false-negative-margin/);
  } finally {
    cleanup();
  }
});

test('--false-negative-warmup: the score rule waits that many steps (equal texts are masked from the first); the steps before are the equality-only run\'s', { skip: needsTorch }, async () => {
  const { dir, cleanup } = tempDir();
  try {
    const { train } = syntheticPairs(10, 4, 3);
    const data = prepareTrainingData(train, tok, 32);
    const opts = { batchSize: 8, learningRate: 1e-3, epochs: 2, seed: 5, quiet: true, saveSteps: 3, maxSteps: 6, loggingSteps: 1 };
    const masked = async (name: string, o: object) => {
      const model = DualEncoder.random(microConfig(tok.vocabSize), tok, 1);
      await new Trainer(model, data, { ...opts, ...o, saveDir: join(dir, name) }).train();
      const counts = readFileSync(join(dir, name, 'train_log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.false_negatives_masked !== undefined).map((e) => e.false_negatives_masked as number);
      return { counts, weights: weightsOf(model) };
    };
    // margin -1: after the warm-up nearly every negative scores above its positive - 1
    const warm = await masked('warm', { falseNegativeMargin: -1, falseNegativeWarmup: 3 });
    const equalOnly = await masked('equal', { falseNegativeMargin: 2 }); // no cosine is 2 above another: equal texts only
    const cold = await masked('cold', { falseNegativeMargin: -1, falseNegativeWarmup: 0 });
    const byDefault = await masked('default', { falseNegativeMargin: -1 }); // 30 % of 6 steps: 1
    assert.equal(warm.counts.length, 6);
    assert.deepEqual(warm.counts.slice(0, 3), equalOnly.counts.slice(0, 3));
    assert.ok(warm.counts.slice(3).every((c, k) => c > 3 * equalOnly.counts[3 + k]! + 20), `after the warm-up the score rule masks: ${warm.counts} vs ${equalOnly.counts}`);
    assert.ok(cold.counts[0]! > equalOnly.counts[0]! + 20, 'without a warm-up the rule masks from the first step');
    assert.equal(byDefault.counts[0], equalOnly.counts[0]);
    assert.ok(byDefault.counts[1]! > equalOnly.counts[1]! + 20, `by default the rule waits 30 % of the run: ${byDefault.counts}`);
    await assert.rejects(new Trainer(DualEncoder.random(microConfig(tok.vocabSize), tok, 1), data, { ...opts, saveDir: join(dir, 'warm'), maxSteps: 8, resume: true, falseNegativeMargin: -1, falseNegativeWarmup: 4 }).train(),
      /was trained with --false-negative-warmup 3, now 4/);
  } finally {
    cleanup();
  }
});
