import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DualEncoder } from '../../src/model/dual-encoder.js';
import { modelWeights } from '../../src/model/folder.js';
import { prepareTrainingData } from '../../src/train/training-data.js';
import { listCheckpoints, Trainer } from '../../src/train/trainer.js';
import { RecallEvaluator } from '../../src/train/recall-evaluator.js';
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
      ...opts, saveDir: join(dir, 'b'), saveSteps: 10, keepCheckpoints: 3, signal: stop.signal, onStep: (s) => { if (s.globalStep === 25) stop.abort(); },
    }).train();
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
    const evaluator = new RecallEvaluator(heldOut.map((p) => ({ query: p.query, gold: p.positive })), heldOut.map((p) => p.positive), { recallNum: 10, index: 'exact' });
    const before = evaluator.evaluate(model).recall;
    const result = await new Trainer(model, prepareTrainingData(train, tok, 32), {
      saveDir: dir, batchSize: 32, learningRate: 2e-3, epochs: 300, maxSteps: 300, evalSteps: 100, seed: 3, quiet: true,
    }, evaluator).train();
    const after = result.evaluations.at(-1)!.recall;
    assert.ok(after[5]! > before[5]! + 30, `Recall@5 ${before[5]} -> ${after[5]}`);
    assert.ok(after[1]! > before[1]!, `Recall@1 ${before[1]} -> ${after[1]}`);
    assert.equal(result.state.bestRecallAt5, Math.max(...result.evaluations.map((e) => e.recall[5]!)));
    assert.ok(existsSync(join(dir, 'model_best', 'model.safetensors')));
    assert.ok(existsSync(join(dir, 'recall.svg')));
  } finally {
    cleanup();
  }
});
