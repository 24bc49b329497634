// Fusion fitted without the evaluated queries' labels: the choice on rankings whose answer is
// known, pseudo-queries, fusion.json, and refusals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { chooseFusion, corpusCalibration, DEFAULT_CALIBRATION, fitFusion, pseudoQuery } from '../../src/retrieval/fusion-calibration.js';
import { readSavedFit } from '../../src/cli/fusion-choice.js';
import { Random } from '../../src/util/random.js';
import type { Hit } from '../../src/vectors/topk.js';
import { tempDir } from '../helpers.js';

const Q = 100, DOCS = 1000, DEPTH = 100;
/** query q's relevant document is q; a ranking puts it at `rank` (or leaves it out), the rest random */
function ranking(q: number, rank: number | undefined, random: Random): Hit[] {
  const others = Array.from({ length: DOCS }, (_, i) => i).filter((i) => i !== q);
  random.shuffle(others);
  const ids = others.slice(0, DEPTH);
  if (rank !== undefined) ids.splice(rank, 0, q);
  return ids.slice(0, DEPTH).map((id, i) => ({ id, score: 1 - i / DEPTH }));
}
const relevant = (q: number, id: number) => q === id;

test('one retriever perfect, the other random: the perfect one alone is chosen', () => {
  const random = new Random(1);
  const perfect = Array.from({ length: Q }, (_, q) => ranking(q, 0, random));
  const noise = Array.from({ length: Q }, (_, q) => ranking(q, undefined, random));
  const a = chooseFusion(perfect, noise, relevant, DEPTH);
  assert.equal(a.retriever, 'dense');
  assert.deepEqual([a.dense.recall, a.bm25.recall], [100, 0]);
  assert.equal(chooseFusion(noise, perfect, relevant, DEPTH).retriever, 'bm25');
});

test('retrievers that fail on different queries: the fusion beats both and weighs both', () => {
  const random = new Random(2);
  // dense finds the first half at rank 0 and the second half at rank 40; bm25 the other way round
  const dense = Array.from({ length: Q }, (_, q) => ranking(q, q < Q / 2 ? 0 : 40, random));
  const bm25 = Array.from({ length: Q }, (_, q) => ranking(q, q < Q / 2 ? 40 : 0, random));
  const c = chooseFusion(dense, bm25, relevant, DEPTH);
  assert.equal(c.retriever, 'hybrid');
  assert.equal(c.fused.recall, 100);
  assert.deepEqual([c.dense.recall, c.bm25.recall], [50, 50]);
  assert.ok(c.hybrid.denseWeight > 0 && c.hybrid.bm25Weight > 0);
});

test('pseudo-queries: a span of a long text, a subsequence of a short one; never the text itself', () => {
  const random = new Random(3);
  const long = '这是一段很长的中文文本用来测试伪查询的生成是否从原文中截取一个连续的片段而不是整个文本';
  for (let i = 0; i < 20; i++) {
    const q = pseudoQuery(long, random)!;
    assert.ok(long.includes(q) && q.length >= 8 && q.length < long.length, q);
  }
  const short = '怎么申请信用卡';
  for (let i = 0; i < 20; i++) {
    const q = pseudoQuery(short, random)!;
    let at = 0;
    for (const ch of q) { at = short.indexOf(ch, at) + 1; assert.ok(at > 0, `${q} is not a subsequence`); }
    assert.ok(q.length >= 3 && q.length < short.length, q);
  }
  assert.equal(pseudoQuery('短', random), undefined);
  const texts = Array.from({ length: 500 }, (_, i) => `text number ${i} about some topic with several words here`);
  const queries = corpusCalibration(texts.length, (id) => texts[id]!, { ...DEFAULT_CALIBRATION, queries: 100 });
  assert.equal(queries.length, 100);
  assert.deepEqual(corpusCalibration(texts.length, (id) => texts[id]!, { ...DEFAULT_CALIBRATION, queries: 100 }), queries, 'seeded');
});

test('too few calibration queries are refused with the number', async () => {
  const embedder = { dim: 2, embed: (t: string[]) => t.map(() => Float32Array.from([1, 0])) };
  await assert.rejects(fitFusion(embedder, { size: 1, textOf: () => 'x' }, Array.from({ length: 49 }, () => ({ query: 'q', positive: 'x' })), 'test', { k1: 1.2, b: 0.75 }),
    /49 queries, fewer than the 50/);
});

test('fusion.json: read back, reused only for its fingerprint, refused when it lies', () => {
  const { dir, cleanup } = tempDir();
  try {
    const fit = {
      format: 'inbatch-fusion', version: 1, retriever: 'hybrid', hybrid: { method: 'rrf', rrfK: 20, denseWeight: 0.3, bm25Weight: 0.7, depth: 100 }, reason: 'r',
      calibration: { source: 's', queries: 300, corpus: 1000, seed: 1, candidates: 63, dense: { recall: 1, mrr: 1 }, bm25: { recall: 2, mrr: 2 }, fused: { recall: 3, mrr: 3 } }, fingerprint: { a: 1 },
    };
    const path = join(dir, 'fusion.json');
    writeFileSync(path, JSON.stringify(fit));
    assert.deepEqual(readSavedFit(path, { a: 1 }), fit);
    assert.equal(readSavedFit(path, { a: 2 }), undefined);
    writeFileSync(path, JSON.stringify({ ...fit, hybrid: { ...fit.hybrid, denseWeight: 0, bm25Weight: 0 } }));
    assert.throws(() => readSavedFit(path, { a: 1 }), /not a valid fitted fusion/);
    writeFileSync(path, 'null');
    assert.throws(() => readSavedFit(path), /expected a JSON object, found null/);
  } finally {
    cleanup();
  }
});
