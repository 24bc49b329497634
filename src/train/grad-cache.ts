// GradCache (Gao et al. 2021, "Scaling Deep Contrastive Learning Batch Size under Memory Limited
// Setup"): the embed-and-backward of a batch too large for one graph.
//   1. embed the batch chunk by chunk without a graph, saving the RNG state before each chunk;
//   2. the loss over the whole batch on those embeddings; its gradient g with respect to each embedding;
//   3. per chunk: restore its RNG state (the same dropout masks), embed again with a graph, and
//      back-propagate sum(embedding · g): the parameter gradients add up to the whole batch's.
// With one chunk of the whole batch this is the plain step; only one chunk's graph is ever alive.
import type { DualEncoder } from '../model/dual-encoder.js';
import { padTokenLists } from '../text/collate.js';
import * as T from '../torch/index.js';
import type { Tensor } from '../torch/index.js';
import type { BatchTexts } from './batch.js';

/**
 * Largest difference allowed between a chunk's graph pass and its first pass. Replayed masks give 0 on
 * CPU; a GPU's reductions may differ by ~1e-7. Masks that were not replayed move embeddings by ~1e-2.
 */
export const REPLAY_TOLERANCE = 1e-4;

/** Refuses to go on when a step's chunks were not replayed exactly: its gradient is not its loss's. */
export function checkReplay(replayMaxDiff: number, step: number, device: string): void {
  if (!(replayMaxDiff <= REPLAY_TOLERANCE)) {
    throw new Error(`GradCache: at step ${step} a chunk's graph pass differs from its first pass by ${replayMaxDiff} (more than ${REPLAY_TOLERANCE}): `
      + `the dropout masks were not replayed on ${device}, so the gradient is not the loss's. Train without --grad-cache-chunk-size, or on --device cpu`);
  }
}

interface Chunk { rows: [number, number]; titles: Int32Array }

function chunksOf(batch: BatchTexts, size: number): Chunk[] {
  const out: Chunk[] = [];
  for (let start = 0; start < batch.queries.length; start += size) {
    const end = Math.min(batch.queries.length, start + size);
    const titles: number[] = [];
    batch.titleRow.forEach((r, i) => { if (r >= start && r < end) titles.push(i); });
    out.push({ rows: [start, end], titles: Int32Array.from(titles) });
  }
  return out;
}

export interface ChunkOptions { chunkSize: number; padId: number; padTo?: number }

/**
 * Steps 1-3: the batch's loss (by lossOf over all its embeddings), with its parameter gradients
 * accumulated, and the largest difference between a chunk's two passes (0: masks replayed).
 */
export function backwardInChunks(model: DualEncoder, batch: BatchTexts, o: ChunkOptions, lossOf: (q: Tensor, t: Tensor) => Tensor): { loss: number; replayMaxDiff: number } {
  const chunks = chunksOf(batch, o.chunkSize);
  // every chunk padded as the whole batch would be: the same shapes as the plain step
  const longest = (lists: Uint32Array[]) => lists.reduce((m, l) => Math.max(m, l.length), 1);
  const padQ = o.padTo ?? longest(batch.queries), padT = o.padTo ?? longest(batch.titles);
  const embedChunk = (c: Chunk): [Tensor, Tensor] => [
    model.forward(padTokenLists(batch.queries.slice(c.rows[0], c.rows[1]), o.padId, padQ), true),
    model.forward(padTokenLists(Array.from(c.titles, (i) => batch.titles[i]!), o.padId, padT), true),
  ];
  // 1. embeddings without a graph, one chunk at a time
  const states: Tensor[] = [];
  const first = chunks.map((c) => {
    states.push(T.keep(T.rngState()));
    return T.tidy(() => T.noGrad(() => embedChunk(c)).map((e) => T.keep(e)));
  });
  const loss = T.tidy(() => {
    // 2. the whole batch's loss on leaf copies of the embeddings, and its gradient with respect to them
    const queries = T.setRequiresGrad(T.detach(T.cat(first.map(([q]) => q), 0)));
    // titles were embedded chunk by chunk; put them back into loss order
    const inverse = new BigInt64Array(batch.titles.length);
    chunks.flatMap((c) => Array.from(c.titles)).forEach((title, pos) => { inverse[title] = BigInt(pos); });
    const titles = T.setRequiresGrad(T.detach(T.indexSelect(T.cat(first.map(([, t]) => t), 0), 0, T.fromData(inverse, [inverse.length]))));
    const l = lossOf(queries, titles);
    T.backward(l);
    return { value: T.item(l), gq: T.keep(T.grad(queries)!), gt: T.keep(T.grad(titles)!) };
  });
  // 3. each chunk again, with its graph and its first pass's dropout masks
  let replayMaxDiff = 0;
  chunks.forEach((c, k) => T.tidy(() => {
    T.setRngState(states[k]!);
    const [q, t] = embedChunk(c);
    const gq = T.narrow(loss.gq, 0, c.rows[0], c.rows[1] - c.rows[0]);
    const gt = T.indexSelect(loss.gt, 0, T.fromData(BigInt64Array.from(c.titles, BigInt), [c.titles.length]));
    T.backward(T.add(T.sum(T.mul(q, gq)), T.sum(T.mul(t, gt))));
    T.noGrad(() => {
      replayMaxDiff = Math.max(replayMaxDiff, T.item(T.max(T.abs(T.sub(q, first[k]![0])))), T.item(T.max(T.abs(T.sub(t, first[k]![1])))));
    });
  }));
  for (const t of [...states, ...first.flat(), loss.gq, loss.gt]) t.dispose();
  return { loss: loss.value, replayMaxDiff };
}
