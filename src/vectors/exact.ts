// Brute-force inner-product search: the ground truth, and fine for small corpora.
// Queries are scored in blocks against contiguous corpus storage for cache reuse.
import { makeDir } from '../util/make-dir.js';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic.js';
import { readIndexMeta } from './index-meta.js';
import { readMatrix, writeMatrix } from './matrix-file.js';
import { TopK, type Hit } from './topk.js';
import { recordId } from './hnsw.js';
import type { VectorIndex } from './vector-index.js';

const QUERY_BLOCK = 16;

export class ExactIndex implements VectorIndex {
  readonly kind = 'exact';
  private data: Float32Array;
  private ids: number[] | null = null;
  private count = 0;

  constructor(readonly dim: number, capacity = 1024) {
    this.data = new Float32Array(dim * capacity);
  }

  get size(): number { return this.count; }

  add(vectors: Float32Array[], ids?: number[]): void {
    const needed = (this.size + vectors.length) * this.dim;
    if (needed > this.data.length) {
      const grown = new Float32Array(Math.max(needed, this.data.length * 2));
      grown.set(this.data.subarray(0, this.size * this.dim));
      this.data = grown;
    }
    vectors.forEach((v, i) => {
      if (v.length !== this.dim) throw new Error(`vector of length ${v.length} added to an index of dim ${this.dim}`);
      this.data.set(v, this.count * this.dim);
      this.ids = recordId(this.ids, this.count, ids ? ids[i]! : this.count);
      this.count++;
    });
  }

  search(queries: Float32Array[], k: number): Hit[][] {
    const { dim, data } = this;
    const n = this.size;
    const results: Hit[][] = [];
    for (let q0 = 0; q0 < queries.length; q0 += QUERY_BLOCK) {
      const block = queries.slice(q0, q0 + QUERY_BLOCK);
      const heaps = block.map(() => new TopK(Math.min(k, n), { ties: 'first-offered' }));
      for (let row = 0; row < n; row++) {
        const base = row * dim;
        for (let b = 0; b < block.length; b++) {
          const q = block[b]!;
          let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
          let j = 0;
          for (; j + 3 < dim; j += 4) {
            s0 += q[j]! * data[base + j]!;
            s1 += q[j + 1]! * data[base + j + 1]!;
            s2 += q[j + 2]! * data[base + j + 2]!;
            s3 += q[j + 3]! * data[base + j + 3]!;
          }
          for (; j < dim; j++) s0 += q[j]! * data[base + j]!;
          const s = Math.fround(s0 + s1 + s2 + s3); // scores are float32, as the vectors
          const heap = heaps[b]!;
          if (s > heap.threshold) heap.push(row, s);
        }
      }
      for (const heap of heaps) results.push(heap.sorted().map((h) => ({ id: this.ids ? this.ids[h.id]! : h.id, score: h.score })));
    }
    return results;
  }

  save(dir: string): void {
    makeDir(dir);
    writeMatrix(join(dir, 'vectors.f32'), this.data.subarray(0, this.size * this.dim), this.size, this.dim);
    writeFileAtomic(join(dir, 'index.json'), JSON.stringify({ kind: this.kind, dim: this.dim, size: this.size, ...(this.ids ? { ids: this.ids } : {}) }));
  }

  static load(dir: string): ExactIndex {
    const meta = readIndexMeta(dir);
    const m = readMatrix(join(dir, 'vectors.f32'));
    if (m.rows !== meta.size || m.cols !== meta.dim) throw new Error(`${dir}: vectors.f32 holds ${m.rows}x${m.cols} but index.json says ${meta.size}x${meta.dim}`);
    const index = new ExactIndex(meta.dim, Math.max(1, m.rows));
    index.data.set(m.data);
    index.ids = meta.ids ?? null;
    index.count = meta.size;
    return index;
  }
}

/** An exact index over every row of a float vectors file, loaded into memory. */
export function exactIndexOf(rows: { rows: number; cols: number; read(start: number, count: number): Float32Array }): ExactIndex {
  const index = new ExactIndex(rows.cols, Math.max(1, rows.rows));
  for (let r = 0; r < rows.rows; r += 8192) {
    const n = Math.min(8192, rows.rows - r);
    const data = rows.read(r, n);
    index.add(Array.from({ length: n }, (_, i) => data.subarray(i * rows.cols, (i + 1) * rows.cols)));
  }
  return index;
}
