// HNSW through hnswlib-node (the library PaddleNLP's recall uses): space "ip",
// M links per node, ef_construction and ef as given. Saved with its id map.
import { existsSync } from 'node:fs';
import { readIndexMeta } from './index-meta.js';
import { join } from 'node:path';
import type hnswlibTypes from 'hnswlib-node';

import { lazyModule } from '../util/lazy-module.js';

const hnswlib = lazyModule<typeof hnswlibTypes>('hnswlib-node');
import { writeFileAtomic, writeFileAtomicByPath } from '../util/atomic.js';
import type { VectorIndex } from './vector-index.js';
import type { Hit } from './topk.js';

export interface HnswOptions {
  m: number;
  efConstruction: number;
  ef: number;
  seed?: number;
}

export const DEFAULT_HNSW: HnswOptions = { m: 100, efConstruction: 100, ef: 100, seed: 100 };

/** Ids kept only once one differs from its label (position). */
export function recordId(ids: number[] | null, label: number, id: number): number[] | null {
  if (ids) ids.push(id);
  else if (id !== label) return [...Array.from({ length: label }, (_, j) => j), id];
  return ids;
}

export class HnswIndex implements VectorIndex {
  readonly kind = 'hnsw';
  private readonly index: InstanceType<typeof hnswlibTypes.HierarchicalNSW>;
  /** id of each label; null while every id equals its label (a corpus: ids are positions) */
  private ids: number[] | null = null;
  private count = 0;
  private capacity: number;

  constructor(readonly dim: number, capacity: number, readonly options: HnswOptions = DEFAULT_HNSW, init = true) {
    this.index = new (hnswlib().HierarchicalNSW)('ip', dim);
    this.capacity = Math.max(1, capacity);
    if (init) {
      this.index.initIndex(this.capacity, options.m, options.efConstruction, options.seed ?? 100);
      this.index.setEf(options.ef);
    }
  }

  get size(): number { return this.count; }

  add(vectors: Float32Array[], ids?: number[]): void {
    if (this.size + vectors.length > this.capacity) {
      this.capacity = Math.max(this.size + vectors.length, this.capacity * 2);
      this.index.resizeIndex(this.capacity);
    }
    vectors.forEach((v, i) => {
      if (v.length !== this.dim) throw new Error(`vector of length ${v.length} added to an index of dim ${this.dim}`);
      const label = this.count++;
      this.ids = recordId(this.ids, label, ids ? ids[i]! : label);
      this.index.addPoint(Array.from(v), label);
    });
  }

  search(queries: Float32Array[], k: number): Hit[][] {
    const kk = Math.min(k, this.size);
    if (kk === 0) return queries.map(() => []);
    if (this.options.ef < kk) this.index.setEf(kk);
    return queries.map((q) => {
      const { neighbors, distances } = this.index.searchKnn(Array.from(q), kk);
      // hnswlib's "ip" distance is 1 - <q, v>
      return neighbors.map((label, j) => ({ id: this.ids ? this.ids[label]! : label, score: 1 - distances[j]! }));
    });
  }

  /** The search depth (at least k is always used). */
  setEf(ef: number): void {
    this.options.ef = ef;
    this.index.setEf(ef);
  }

  save(dir: string): void {
    writeFileAtomicByPath(join(dir, 'index.hnsw'), (tmp) => this.index.writeIndexSync(tmp));
    // index.json last, so it never describes a half-written graph
    writeFileAtomic(join(dir, 'index.json'), JSON.stringify({ kind: this.kind, dim: this.dim, size: this.size, options: this.options, ...(this.ids ? { ids: this.ids } : {}) }));
  }

  static load(dir: string): HnswIndex {
    const meta = readIndexMeta(dir);
    const options = { ...(meta.options as HnswOptions) };
    const index = new HnswIndex(meta.dim, meta.size, options, false);
    const file = join(dir, 'index.hnsw');
    if (!existsSync(file)) throw new Error(`${dir}: no index.hnsw`);
    try {
      index.index.readIndexSync(file);
    } catch (e) {
      throw new Error(`${file}: not a readable hnswlib index (${(e as Error).message})`);
    }
    if (index.index.getCurrentCount() !== meta.size) throw new Error(`${file} holds ${index.index.getCurrentCount()} vectors but index.json says ${meta.size}`);
    index.index.setEf(options.ef);
    index.ids = meta.ids ?? null;
    index.count = meta.size;
    index.capacity = index.index.getMaxElements();
    return index;
  }
}
