import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ExactIndex } from '../../src/vectors/exact.js';
import { HnswIndex } from '../../src/vectors/hnsw.js';
import { loadIndex } from '../../src/vectors/load-index.js';
import { TopK } from '../../src/vectors/topk.js';
import { MatrixWriter, readMatrix, readMatrixRows } from '../../src/vectors/matrix-file.js';
import { Random } from '../../src/util/random.js';
import { tempDir } from '../helpers.js';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';

function clustered(n: number, dim: number, clusters: number, seed: number): Float32Array[] {
  const rng = new Random(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(rng.next() + 1e-12)) * Math.cos(2 * Math.PI * rng.next());
  const centers = Array.from({ length: clusters }, () => Float32Array.from({ length: dim }, gauss));
  return Array.from({ length: n }, () => {
    const c = centers[Math.floor(rng.next() * clusters)]!;
    const v = Float32Array.from(c, (x) => x + 0.5 * gauss());
    const norm = Math.hypot(...v);
    return v.map((x) => x / norm);
  });
}

function bruteForce(corpus: Float32Array[], q: Float32Array, k: number): number[] {
  return corpus.map((v, i) => ({ i, s: v.reduce((a, x, j) => a + x * q[j]!, 0) }))
    .sort((a, b) => b.s - a.s || a.i - b.i).slice(0, k).map((x) => x.i);
}

test('TopK keeps the k largest, sorted, ties by id', () => {
  const t = new TopK(3);
  [[5, 0.1], [1, 0.9], [2, 0.5], [7, 0.9], [3, 0.2], [4, 0.7]].forEach(([id, s]) => t.push(id!, s!));
  assert.deepEqual(t.sorted().map((h) => h.id), [1, 7, 4]);
});

test('exact search equals brute force and survives save/load', () => {
  const corpus = clustered(500, 24, 10, 1);
  const queries = clustered(40, 24, 10, 2);
  const index = new ExactIndex(24, 16);
  index.add(corpus.slice(0, 200));
  index.add(corpus.slice(200));
  const hits = index.search(queries, 10);
  queries.forEach((q, i) => assert.deepEqual(hits[i]!.map((h) => h.id), bruteForce(corpus, q, 10)));
  const { dir, cleanup } = tempDir();
  try {
    index.save(dir);
    const back = loadIndex(dir);
    assert.equal(back.kind, 'exact');
    assert.deepEqual(back.search(queries, 10), hits);
  } finally {
    cleanup();
  }
});

test('HNSW (ip, M=100, ef=100) finds >= 99% of the exact top 10, with ids, after save/load', () => {
  const corpus = clustered(3000, 32, 30, 3);
  const queries = clustered(200, 32, 30, 4);
  const ids = corpus.map((_, i) => 1000 + i);
  const exact = new ExactIndex(32);
  exact.add(corpus, ids);
  const hnsw = new HnswIndex(32, 100);
  hnsw.add(corpus, ids); // grows past its initial capacity
  const truth = exact.search(queries, 10);
  const { dir, cleanup } = tempDir();
  try {
    hnsw.save(dir);
    const loaded = loadIndex(dir);
    assert.equal(loaded.size, 3000);
    const got = loaded.search(queries, 10);
    let found = 0;
    got.forEach((list, q) => { const t = new Set(truth[q]!.map((h) => h.id)); found += list.filter((h) => t.has(h.id)).length; });
    assert.ok(found / (queries.length * 10) >= 0.99, `HNSW recall ${found / (queries.length * 10)}`);
    // scores are inner products
    const top = got[0]![0]!;
    const v = corpus[top.id - 1000]!;
    assert.ok(Math.abs(top.score - v.reduce((a, x, j) => a + x * queries[0]![j]!, 0)) < 1e-4);
  } finally {
    cleanup();
  }
});

test('matrix files stream rows and reject corrupt files', () => {
  const { dir, cleanup } = tempDir();
  try {
    const path = join(dir, 'm.f32');
    const w = new MatrixWriter(path, 3);
    w.append([Float32Array.from([1, 2, 3])]);
    w.append([Float32Array.from([4, 5, 6]), Float32Array.from([7, 8, 9])]);
    assert.equal(w.close(), 3);
    const m = readMatrix(path);
    assert.deepEqual([m.rows, m.cols, Array.from(m.data)], [3, 3, [1, 2, 3, 4, 5, 6, 7, 8, 9]]);
    assert.deepEqual(readMatrixRows(path, 1, 5).map((r) => Array.from(r)), [[4, 5, 6], [7, 8, 9]]);
    writeFileSync(path, 'garbage-garbage-garbage');
    assert.throws(() => readMatrix(path), /not an inbatch float32 matrix file/);
  } finally {
    cleanup();
  }
});
