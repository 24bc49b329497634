// index.json of a saved index: kind, dim, size, ids (and options). Read strictly.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readJsonObject } from '../util/json-file.js';

export interface IndexMeta {
  kind: string;
  dim: number;
  size: number;
  /** absent: every id is its position */
  ids?: number[];
  options?: unknown;
}

export function readIndexMeta(dir: string): IndexMeta {
  const path = join(dir, 'index.json');
  if (!existsSync(path)) throw new Error(`${dir}: not an index folder (no index.json)`);
  const meta = readJsonObject(path) as Partial<IndexMeta>;
  const { kind, dim, size, ids } = meta;
  if (typeof kind !== 'string') throw new Error(`${path}: no "kind"`);
  if (!Number.isSafeInteger(dim) || dim! < 1) throw new Error(`${path}: "dim" must be a positive integer, got ${JSON.stringify(dim)}`);
  if (!Number.isSafeInteger(size) || size! < 0) throw new Error(`${path}: "size" must be an integer >= 0, got ${JSON.stringify(size)}`);
  if (ids !== undefined && (!Array.isArray(ids) || ids.length !== size || !ids.every((id) => Number.isSafeInteger(id) && id >= 0))) {
    throw new Error(`${path}: "ids" must list ${size} non-negative integers`);
  }
  return meta as IndexMeta;
}
