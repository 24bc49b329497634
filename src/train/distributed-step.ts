// One step of data-parallel in-batch negatives over a c10d process group. Each rank embeds its
// share of the global batch; query and title embeddings are all-gathered so every query sees every
// title of the global batch as a negative. Each rank computes the whole batch's loss with its own
// slices still attached to its graph, so backward gives the exact gradient of the global loss with
// respect to its embeddings (its titles are negatives in every rank's rows); the parameter
// gradients, each rank's share, are then summed by one flat all-reduce before clipping.
import type { DualEncoder } from '../model/dual-encoder.js';
import { padTokenLists } from '../text/collate.js';
import * as T from '../torch/index.js';
import type { ProcessGroup, Tensor } from '../torch/index.js';
import type { AdamW } from './adamw.js';
import { clipGradNorm } from './clip.js';
import { inBatchNegativesLoss } from './inbatch-negatives.js';
import type { BatchTexts, StepResult, StepSettings } from './train-step.js';

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

/**
 * The global batch's loss on every rank: this rank's query and title embeddings (titles with their
 * columns: 1 positive, 2... hard negatives) gathered with every other rank's, in global order, this
 * rank's own rows keeping their graph.
 */
export function globalLoss(group: ProcessGroup, q: Tensor, t: Tensor, titleColumn: Int32Array, columns: number, o: { margin: number; scale: number }): Tensor {
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
  return inBatchNegativesLoss(queries, T.cat(titleBlocks, 0), o);
}

/** Sums every rank's parameter gradients (its share of the global loss's) in one flat all-reduce. */
export function allReduceGradients(group: ProcessGroup, optimizer: AdamW): void {
  T.noGrad(() => T.tidy(() => {
    const grads = optimizer.params.map(([name, p]) => {
      const g = T.grad(p);
      if (!g) throw new Error(`${name} got no gradient on rank ${group.rank}`);
      return g;
    });
    const flat = T.cat(grads.map((g) => T.reshape(g, [-1])), 0);
    group.allReduce_(flat);
    let at = 0;
    grads.forEach((g) => {
      const n = g.shape.reduce((a, b) => a * b, 1);
      T.copy_(g, T.reshape(T.narrow(flat, 0, at, n), g.shape));
      at += n;
    });
  }));
}

export function distributedStep(model: DualEncoder, optimizer: AdamW, local: BatchTexts, columns: number, group: ProcessGroup, s: StepSettings & { padId: number; padTo?: number }): StepResult {
  T.manualSeed(s.stepSeed * 31 + group.rank); // each rank its own dropout masks
  const value = T.tidy(() => {
    const q = model.forward(padTokenLists(local.queries, s.padId, s.padTo), true);
    const t = model.forward(padTokenLists(local.titles, s.padId, s.padTo), true);
    const loss = globalLoss(group, q, t, local.titleColumn, columns, s);
    T.backward(loss);
    return T.item(loss);
  });
  allReduceGradients(group, optimizer);
  const gradNorm = clipGradNorm(optimizer.params.map(([, p]) => p), s.maxGradNorm);
  optimizer.update(s.lr);
  optimizer.zeroGrad();
  let tokens = 0;
  for (const l of local.queries) tokens += l.length;
  for (const l of local.titles) tokens += l.length;
  return { loss: value, gradNorm, tokens };
}
