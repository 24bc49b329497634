// Paired bootstrap: checked against hand-computed distributions, and on real per-query scores.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pairedBootstrap, percentile } from '../../src/eval/bootstrap.js';
import { compareWithConfidence } from '../../src/eval/compare.js';
import { perQuerySuccess, type PerQueryScores } from '../../src/eval/per-query.js';

test('percentile interpolates between ranks as numpy does', () => {
  const v = Float64Array.from([1, 2, 3, 4]);
  assert.equal(percentile(v, 0.5), 2.5);
  assert.equal(percentile(v, 0), 1);
  assert.equal(percentile(v, 1), 4);
  assert.ok(Math.abs(percentile(v, 0.025) - 1.075) < 1e-12);
});

test('a difference that is the same on every query has a zero-width interval; a system against itself includes 0', () => {
  const same = pairedBootstrap([0.2, 0.5, 0.1], [0.4, 0.7, 0.3]);
  assert.ok(Math.abs(same.difference - 0.2) < 1e-12 && Math.abs(same.low - 0.2) < 1e-12 && Math.abs(same.high - 0.2) < 1e-12);
  assert.equal(same.significant, true);
  const itself = pairedBootstrap([1, 0, 1, 1, 0], [1, 0, 1, 1, 0]);
  assert.deepEqual([itself.difference, itself.low, itself.high, itself.significant], [0, 0, 0, false]);
});

test('two queries with differences 0 and 1: resampled means are 0, 0.5, 1 with chance 1/4, 1/2, 1/4, so the 95% interval is [0, 1]', () => {
  const r = pairedBootstrap([0, 0], [0, 1], { resamples: 4000, seed: 3, confidence: 0.95 });
  assert.equal(r.difference, 0.5);
  // P(mean = 0) = 1/4 > 2.5 %: the lower bound is 0; likewise the upper bound is 1
  assert.equal(r.low, 0);
  assert.equal(r.high, 1);
  assert.equal(r.significant, false);
  // seeded: the same call gives the same interval
  assert.deepEqual(pairedBootstrap([0, 0], [0, 1], { resamples: 4000, seed: 3, confidence: 0.95 }), r);
});

test('1,000 queries where B finds 10 % more: significant, and the interval holds the true difference', () => {
  const a = Array.from({ length: 1000 }, (_, i) => (i % 2 === 0 ? 1 : 0));
  const b = a.map((v, i) => (v === 0 && i % 10 === 1 ? 1 : v));
  const r = pairedBootstrap(a, b);
  assert.ok(Math.abs(r.difference - 0.1) < 1e-12);
  assert.ok(r.significant && r.low > 0.07 && r.high < 0.13, `[${r.low}, ${r.high}]`);
  assert.throws(() => pairedBootstrap(a, b, { resamples: 100, seed: 1, confidence: 0.95 }), /resamples must be an integer >= 1000/);
});

test('compare pairs queries by id, whatever their order, and refuses other query sets', () => {
  const gold = [new Set(['x']), new Set(['y']), new Set(['z'])];
  const a = perQuerySuccess('a', ['1', '2', '3'], gold, [['x'], ['n'], ['n']], [1]);
  const b: PerQueryScores = { ...perQuerySuccess('b', ['3', '2', '1'], [gold[2]!, gold[1]!, gold[0]!], [['z'], ['y'], ['n']], [1]) };
  const [row] = compareWithConfidence(a, b);
  assert.equal(row!.metric, 'success_at_1');
  assert.ok(Math.abs(row!.a - 100 / 3) < 1e-9 && Math.abs(row!.b - 200 / 3) < 1e-9);
  assert.ok(Math.abs(row!.difference - 100 / 3) < 1e-9);
  const other = perQuerySuccess('c', ['1', '2', '4'], gold, [['x'], ['n'], ['n']], [1]);
  assert.throws(() => compareWithConfidence(a, other), /other queries/);
});
