import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateRun, queryMetrics, trecOrder, type Run } from '../../src/eval/trec-metrics.js';
import { successAtN } from '../../src/eval/success-at-n.js';
import { runSuccessPct } from '../../src/eval/mteb-result.js';

const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-12, `${what}: ${a} vs ${b}`);
const docs = (...ids: string[]) => ids.map((id, i) => ({ id, score: 10 - i }));

test('one query, two relevant documents at ranks 1 and 3 (hand-computed)', () => {
  const m = queryMetrics(docs('a', 'x', 'b', 'y'), new Map([['a', 1], ['b', 1]]), [1, 3, 5]);
  close(m.precision_at_3!, 2 / 3, 'P@3');
  close(m.recall_at_3!, 1, 'R@3');
  close(m.mrr_at_3!, 1, 'MRR@3');
  close(m.map_at_3!, (1 + 2 / 3) / 2, 'MAP@3');
  close(m.ndcg_at_3!, (1 + 1 / Math.log2(4)) / (1 + 1 / Math.log2(3)), 'nDCG@3');
  close(m.precision_at_1!, 1, 'P@1');
  close(m.recall_at_1!, 0.5, 'R@1');
  close(m.map_at_1!, 1 / 2, 'MAP@1 divides by all relevant');
  close(m.precision_at_5!, 2 / 5, 'P@5 divides by k even past the list end');
});

test('graded relevance: nDCG uses the qrels score as gain', () => {
  const judged = new Map([['a', 1], ['b', 2]]);
  const m = queryMetrics(docs('a', 'b'), judged, [2]);
  close(m.ndcg_at_2!, (1 + 2 / Math.log2(3)) / (2 + 1 / Math.log2(3)), 'graded nDCG@2');
  close(queryMetrics(docs('b', 'a'), judged, [2]).ndcg_at_2!, 1, 'ideal order');
  // score 0 judgements are not relevant
  const zero = queryMetrics(docs('z', 'a'), new Map([['z', 0], ['a', 1]]), [1]);
  close(zero.precision_at_1!, 0, 'a 0-score document is not relevant');
});

test('mrr counts only within k; a relevant document outside k gives 0', () => {
  const m = queryMetrics(docs('x', 'y', 'a'), new Map([['a', 1]]), [1, 3]);
  close(m.mrr_at_1!, 0, 'MRR@1');
  close(m.mrr_at_3!, 1 / 3, 'MRR@3');
});

test('queries with no relevant documents are left out of the averages and counted', () => {
  const run: Run = new Map([['q1', docs('a')], ['q2', docs('b')], ['q3', []]]);
  const qrels = new Map([['q1', new Map([['a', 1]])], ['q2', new Map([['b', 0]])], ['q3', new Map([['c', 1]])]]);
  const s = evaluateRun(run, qrels, [1]);
  assert.equal(s.queriesEvaluated, 2);
  assert.equal(s.queriesWithoutRelevant, 1);
  close(s.metrics.precision_at_1!, 0.5, 'mean over q1 (1) and q3 (0, retrieved nothing)');
});

test('ties follow trec_eval: score descending, then document id descending', () => {
  const ranked = trecOrder([{ id: 'a', score: 1 }, { id: 'c', score: 1 }, { id: 'b', score: 2 }]);
  assert.deepEqual(ranked.map((d) => d.id), ['b', 'c', 'a']);
  const s = evaluateRun(new Map([['q', [{ id: 'a', score: 1 }, { id: 'c', score: 1 }]]]), new Map([['q', new Map([['a', 1]])]]), [1]);
  close(s.metrics.precision_at_1!, 0, 'c wins the tie, a is second');
});

test('PaddleNLP Recall@N counts every query once, including the last', () => {
  const gold = [new Set(['g1']), new Set(['g2']), new Set(['g3'])];
  const recalled = [['g1', 'x'], ['x', 'g2', 'g2'], ['x', 'y', 'z', 'w', 'v', 'g3']];
  const t = successAtN(gold, recalled, [1, 5, 10]);
  assert.equal(t.queries, 3);
  close(t.successPct[1]!, 100 / 3, 'R@1');
  close(t.successPct[5]!, 200 / 3, 'R@5: the duplicate g2 counts once');
  close(t.successPct[10]!, 100, 'R@10: the last query counts');
  const run: Run = new Map([['q1', docs('a')], ['q2', docs('x', 'b')]]);
  const s = runSuccessPct(run, new Map([['q1', new Map([['a', 1]])], ['q2', new Map([['b', 1], ['c', 1]])]]), [1, 5]);
  assert.deepEqual(s, { 1: 50, 5: 100 });
});
