import { ExactIndex } from './exact.js';
import { HnswIndex } from './hnsw.js';
import { readIndexMeta } from './index-meta.js';
import type { VectorIndex } from './vector-index.js';

/** Opens an index folder written by save(), whatever its kind. */
export function loadIndex(dir: string): VectorIndex {
  const { kind } = readIndexMeta(dir);
  if (kind === 'hnsw') return HnswIndex.load(dir);
  if (kind === 'exact') return ExactIndex.load(dir);
  throw new Error(`${dir}/index.json: unknown index kind "${kind}"`);
}
