import { ExactIndex } from './exact.js';
import { HnswIndex, type HnswOptions } from './hnsw.js';
import type { VectorIndex } from './vector-index.js';

export type IndexKind = 'hnsw' | 'exact';

export function createIndex(kind: IndexKind, dim: number, capacity: number, hnsw: HnswOptions): VectorIndex {
  return kind === 'exact' ? new ExactIndex(dim, capacity) : new HnswIndex(dim, capacity, hnsw);
}
