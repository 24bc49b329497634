import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ExactIndex } from './exact.js';
import { HnswIndex } from './hnsw.js';
import type { VectorIndex } from './vector-index.js';

/** Opens an index folder written by save(), whatever its kind. */
export function loadIndex(dir: string): VectorIndex {
  const metaPath = join(dir, 'index.json');
  if (!existsSync(metaPath)) throw new Error(`${dir}: not an index folder (no index.json)`);
  const { kind } = JSON.parse(readFileSync(metaPath, 'utf8')) as { kind: string };
  if (kind === 'hnsw') return HnswIndex.load(dir);
  if (kind === 'exact') return ExactIndex.load(dir);
  throw new Error(`${metaPath}: unknown index kind "${kind}"`);
}
