import { test } from 'node:test';
import assert from 'node:assert/strict';
import { convexFusion, fuseRuns, reciprocalRankFusion } from '../../src/retrieval/fusion.js';
import { HybridRetriever, type Retriever } from '../../src/retrieval/retriever.js';
import type { Hit } from '../../src/vectors/topk.js';
import type { Run } from '../../src/eval/trec-metrics.js';

const list = (...ids: string[]) => ids.map((id, i) => ({ id, score: 10 - i }));
const close = (a: number, b: number) => Math.abs(a - b) < 1e-12;

test('RRF equals the sum of weight / (k + rank), computed by hand', () => {
  // A: a b c   B: c a d
  const fused = reciprocalRankFusion([list('a', 'b', 'c'), list('c', 'a', 'd')], { k: 60 });
  const want = { a: 1 / 61 + 1 / 62, c: 1 / 63 + 1 / 61, b: 1 / 62, d: 1 / 63 };
  assert.deepEqual(fused.map((f) => f.id), ['a', 'c', 'b', 'd']);
  for (const f of fused) assert.ok(close(f.score, want[f.id as keyof typeof want]), `${f.id}: ${f.score}`);

  // weights scale each list; k = 0 makes the top rank dominate
  const weighted = reciprocalRankFusion([list('a', 'b'), list('b', 'a')], { k: 0, weights: [1, 3] });
  assert.deepEqual(weighted.map((f) => [f.id, f.score]), [['b', 1 / 2 + 3 / 1], ['a', 1 / 1 + 3 / 2]]);
  // depth: ranks beyond it are ignored; limit cuts the output
  const shallow = reciprocalRankFusion([list('a', 'b', 'c'), list('c', 'b', 'a')], { k: 1, depth: 1 });
  assert.deepEqual(shallow.map((f) => [f.id, f.score]), [['a', 1 / 2], ['c', 1 / 2]]); // tie: smaller id first
  assert.equal(reciprocalRankFusion([list('a', 'b', 'c')], { k: 60, limit: 2 }).length, 2);
  // ids may be numbers
  assert.deepEqual(reciprocalRankFusion([[{ id: 3, score: 0.9 }, { id: 1, score: 0.1 }], [{ id: 1, score: 20 }]], { k: 60 }).map((f) => f.id), [1, 3]);
  assert.throws(() => reciprocalRankFusion([list('a')], { k: 60, weights: [1, 2] }), /2 weight\(s\) for 1 ranked list/);
  assert.throws(() => reciprocalRankFusion([list('a')], { k: -1 }), /RRF k must be a number >= 0/);
});

test('fusing TREC runs ranks each run in trec_eval order first, and keeps queries missing from one run', () => {
  // run A lists documents out of order; trec order is by score: d2 (0.9) then d1 (0.5)
  const a: Run = new Map([['q1', [{ id: 'd1', score: 0.5 }, { id: 'd2', score: 0.9 }]], ['q2', [{ id: 'd7', score: 1 }]]]);
  const b: Run = new Map([['q1', [{ id: 'd1', score: 12 }, { id: 'd3', score: 3 }]]]);
  const fused = fuseRuns([a, b], { k: 60 });
  assert.deepEqual([...fused.keys()], ['q1', 'q2']);
  assert.deepEqual(fused.get('q1')!.map((d) => d.id), ['d1', 'd2', 'd3']);
  assert.ok(close(fused.get('q1')![0]!.score, 1 / 62 + 1 / 61));
  assert.deepEqual(fused.get('q2'), [{ id: 'd7', score: 1 / 61 }]);
});

test('the hybrid retriever fuses each retriever\'s top depth and returns k', async () => {
  const fixed = (kind: 'dense' | 'bm25', hits: Hit[]): Retriever => ({ kind, search: async (q, k) => q.map(() => hits.slice(0, k)) });
  const dense = fixed('dense', [{ id: 0, score: 0.9 }, { id: 1, score: 0.8 }, { id: 2, score: 0.7 }]);
  const bm25 = fixed('bm25', [{ id: 2, score: 14 }, { id: 3, score: 9 }, { id: 0, score: 1 }]);
  const hybrid = new HybridRetriever(dense, bm25, { method: 'rrf', rrfK: 60, denseWeight: 1, bm25Weight: 1, depth: 3 });
  const [hits] = await hybrid.search(['q'], 2);
  // 0: 1/61 + 1/63, 2: 1/63 + 1/61 (tie, smaller id first), 1: 1/62, 3: 1/62
  assert.deepEqual(hits!.map((h) => h.id), [0, 2]);
  const bm25Only = new HybridRetriever(dense, bm25, { method: 'rrf', rrfK: 60, denseWeight: 0, bm25Weight: 1, depth: 3 });
  assert.deepEqual((await bm25Only.search(['q'], 3))[0]!.map((h) => h.id), [2, 3, 0]);
});

test('convex fusion: weights times min-max normalised scores, over each list\'s top depth', () => {
  // dense 0.9/0.8/0.7 -> 1, 0.5, 0; bm25 14/9/1 -> 1, 8/13, 0
  const dense = [{ id: 0, score: 0.9 }, { id: 1, score: 0.8 }, { id: 2, score: 0.7 }];
  const bm25 = [{ id: 2, score: 14 }, { id: 3, score: 9 }, { id: 0, score: 1 }];
  const fused = convexFusion([dense, bm25], { weights: [0.7, 0.3] });
  const expected = new Map([[0, 0.7], [1, 0.35], [2, 0.3], [3, 0.3 * 8 / 13]]);
  assert.deepEqual(fused.map((h) => h.id), [0, 1, 2, 3]);
  for (const h of fused) assert.ok(Math.abs(h.score - expected.get(h.id)!) < 1e-12, `${h.id}: ${h.score}`);
  assert.throws(() => convexFusion([dense, bm25], { weights: [0, 0] }), /at least one must be above 0/);
});
