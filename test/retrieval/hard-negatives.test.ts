import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NegativeSelector } from '../../src/retrieval/hard-negatives.js';
import type { Hit } from '../../src/vectors/topk.js';

// a ranking of 12 texts, best first: the positive sits at rank 1, the query's own text at rank 3,
// and the corpus holds t4 twice (ranks 4 and 5)
const ranking: Hit<string>[] = [
  ['t0', 0.95], ['POS', 0.9], ['t2', 0.85], ['QUERY', 0.8], ['t4', 0.75], ['t4', 0.75],
  ['t6', 0.65], ['t7', 0.6], ['t8', 0.55], ['t9', 0.5], ['t10', 0.45], ['t11', 0.4],
].map(([text, score]) => ({ id: text as string, score: score as number }));
const base = { negatives: 3, rangeMin: 0, rangeMax: 12, margin: 0, maxScore: 1, sampling: 'top' as const, seed: 1 };

test('the positive and the query text are never negatives; top takes the best remaining', () => {
  const s = new NegativeSelector({ ...base, margin: -1 });
  assert.deepEqual(s.select('QUERY', 'POS', 0.9, ranking), ['t0', 't2', 't4']);
  assert.equal(s.counts.droppedIdentity, 2);
});

test('the margin drops candidates scoring above positive - margin (the false-negative guard)', () => {
  const s = new NegativeSelector({ ...base, margin: 0.1 });
  // positive 0.9: candidates must score <= 0.8; t0 (0.95) and t2 (0.85) are dropped
  const got = s.select('QUERY', 'POS', 0.9, ranking);
  assert.deepEqual(got, ['t4', 't6', 't7']); // the second t4 is not taken again
  for (const t of got) assert.ok(ranking.find((c) => c.id === t)!.score <= 0.9 - 0.1);
  assert.deepEqual([s.counts.droppedMargin, s.counts.droppedDuplicate], [2, 1]);
});

test('max-score drops high scorers whatever the positive scores', () => {
  const s = new NegativeSelector({ ...base, margin: -1, maxScore: 0.7 });
  assert.deepEqual(s.select('QUERY', 'POS', 0.9, ranking), ['t6', 't7', 't8']);
  assert.equal(s.counts.droppedMaxScore, 4);
});

test('the rank window: only ranks [min, max) are candidates; short rows are counted', () => {
  const s = new NegativeSelector({ ...base, rangeMin: 8, rangeMax: 11, margin: -1 });
  assert.deepEqual(s.select('QUERY', 'POS', 0.9, ranking), ['t8', 't9', 't10']);
  const short = new NegativeSelector({ ...base, rangeMin: 9, rangeMax: 12, margin: 0.1, negatives: 3 });
  assert.deepEqual(short.select('QUERY', 'POS', 0.9, ranking.slice(0, 10)), ['t9']);
  assert.deepEqual(short.select('t9', 'POS', 0.9, ranking.slice(0, 10)), []);
  assert.deepEqual([short.counts.rows, short.counts.short, short.counts.empty, short.counts.negatives], [2, 2, 1, 1]);
  // the row's own hard negatives are not mined again
  assert.deepEqual(new NegativeSelector({ ...base, margin: -1, negatives: 2 }).select('QUERY', 'POS', 0.9, ranking, ['t0']), ['t2', 't4']);
});

test('random sampling is seeded, stays in the window and keeps rank order', () => {
  const pick = (seed: number) => new NegativeSelector({ ...base, margin: -1, sampling: 'random', seed, negatives: 3 }).select('QUERY', 'POS', 0.9, ranking);
  assert.deepEqual(pick(7), pick(7));
  const seen = new Set<string>();
  for (let seed = 0; seed < 20; seed++) {
    const got = pick(seed);
    assert.equal(got.length, 3);
    const ranks = got.map((t) => ranking.findIndex((c) => c.id === t));
    assert.deepEqual([...ranks].sort((a, b) => a - b), ranks);
    for (const t of got) { assert.ok(!['POS', 'QUERY'].includes(t)); seen.add(t); }
  }
  assert.ok(seen.size > 3, 'random sampling reaches beyond the top 3');
  assert.throws(() => new NegativeSelector({ ...base, rangeMin: 5, rangeMax: 6 }), /holds fewer than 3 candidates/);
});
