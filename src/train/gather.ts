// Data-parallel collectives of a step over a c10d process group. Each rank embeds its share of
// the global batch; gatherGlobalBatch all-gathers query and title embeddings so every query sees
// every title of the global batch as a negative, this rank's own rows keeping their graph (so
// backward gives the exact gradient of the global loss with respect to its embeddings: its titles
// are negatives in every rank's rows). allReduceGradients then sums each rank's share of the
// parameter gradients: one flat all-reduce, and the token embedding table's used rows only.
import * as T from '../torch/index.js';
import type { ProcessGroup, Tensor } from '../torch/index.js';
import type { AdamW } from './adamw.js';

/** Rows [start, end) of a global batch of n rows that a rank trains on. */
export function rankShare(n: number, rank: number, world: number): [number, number] {
  return [Math.floor((rank * n) / world), Math.floor(((rank + 1) * n) / world)];
}

/** Every rank's rows of `local` (k_r x d each, k_r from counts) in rank order; this rank's part keeps its graph. */
function gatherRows(group: ProcessGroup, local: Tensor, counts: number[], dim: number): Tensor {
  const most = Math.max(1, ...counts);
  const padded = T.noGrad(() => (local.shape[0]! < most ? T.cat([T.detach(local), T.zeros([most - local.shape[0]!, dim], local.dtype)], 0) : T.detach(local)));
  const all = group.allGather(T.contiguous(padded));
  return T.cat(counts.flatMap((k, r) => (k === 0 ? [] : [r === group.rank ? local : T.narrow(all, 0, r * most, k)])), 0);
}

export interface GatherOptions {
  group: ProcessGroup;
  /** this rank's titles' columns (1 positive, 2... hard negatives) */
  titleColumn: Int32Array;
  columns: number;
}

/**
 * The global batch on every rank: this rank's query and title embeddings gathered with every
 * other rank's, in global order (queries by rank; titles column by column, each by rank), this
 * rank's own rows keeping their graph.
 */
export function gatherGlobalBatch({ group, titleColumn, columns }: GatherOptions, q: Tensor, t: Tensor): { queries: Tensor; titles: Tensor } {
  const dim = q.shape[1]!;
  const mine = [q.shape[0]!, ...Array.from({ length: columns - 1 }, (_, c) => titleColumn.filter((x) => x === c + 1).length)];
  const counts = Array.from(T.toData(group.allGather(T.fromData(Float64Array.from(mine), [1, columns]))) as Float64Array);
  const countsOf = (c: number) => Array.from({ length: group.worldSize }, (_, r) => counts[r * columns + c]!);
  const queries = gatherRows(group, q, countsOf(0), dim);
  const titleBlocks: Tensor[] = [];
  for (let c = 1; c < columns; c++) {
    const idx = BigInt64Array.from([...titleColumn.keys()].filter((i) => titleColumn[i] === c).map(BigInt));
    const block = idx.length ? T.indexSelect(t, 0, T.fromData(idx, [idx.length])) : T.zeros([0, dim], t.dtype);
    if (countsOf(c).some((k) => k > 0)) titleBlocks.push(gatherRows(group, block, countsOf(c), dim));
  }
  return { queries, titles: T.cat(titleBlocks, 0) };
}

/**
 * Parameters whose gradient is zero outside the rows a batch used: the token embedding table (most
 * of a small model's parameters). Only the rows some rank used are summed.
 */
const ROW_SPARSE = /(^|\.)embeddings\.word_embeddings\.weight$/;

/**
 * Sums every rank's parameter gradients (its share of the global loss's): the dense ones in one flat
 * all-reduce, a row-sparse table over the union of the rows any rank gave a gradient. Rows outside that
 * union are zero on every rank, so the sum is the same as all-reducing the whole table.
 */
export function allReduceGradients(group: ProcessGroup, optimizer: AdamW): void {
  T.noGrad(() => T.tidy(() => {
    const dense: Tensor[] = [];
    for (const [name, p] of optimizer.params) {
      const g = T.grad(p);
      if (!g) throw new Error(`${name} got no gradient on rank ${group.rank}`);
      if (ROW_SPARSE.test(name) && g.shape.length === 2) allReduceRows(group, g);
      else dense.push(g);
    }
    if (!dense.length) return;
    const flat = T.cat(dense.map((g) => T.reshape(g, [-1])), 0);
    group.allReduce_(flat);
    let at = 0;
    dense.forEach((g) => {
      const n = g.shape.reduce((a, b) => a * b, 1);
      T.copy_(g, T.reshape(T.narrow(flat, 0, at, n), g.shape));
      at += n;
    });
  }));
}

/** All-reduces the rows of g that are non-zero on some rank, in place. */
function allReduceRows(group: ProcessGroup, g: Tensor): void {
  const rowSums = T.toData(T.sum(T.abs(g), [1])) as Float32Array;
  const mine: number[] = [];
  rowSums.forEach((v, row) => { if (v !== 0) mine.push(row); });
  const counts = Array.from(T.toData(group.allGather(T.fromData(Float64Array.from([mine.length]), [1]))) as Float64Array);
  const most = Math.max(...counts);
  if (most === 0) return;
  // every rank's rows, padded to the longest list with -1
  const padded = new Float64Array(most).fill(-1);
  padded.set(mine);
  const all = T.toData(group.allGather(T.fromData(padded, [1, most]))) as Float64Array;
  const union = new Uint8Array(g.shape[0]!);
  for (const row of all) if (row >= 0) union[row] = 1;
  const rows: bigint[] = [];
  union.forEach((used, row) => { if (used) rows.push(BigInt(row)); });
  const index = T.fromData(BigInt64Array.from(rows), [rows.length]);
  const selected = T.contiguous(T.indexSelect(g, 0, index));
  group.allReduce_(selected);
  T.indexCopy_(g, 0, index, selected);
}
