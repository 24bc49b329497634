// In-batch negatives loss (PaddleNLP semantic_indexing, Karpukhin et al. DPR):
//   S = Q · Tᵀ                    cosine similarities, [B, B] (+ extra hard-negative columns)
//   S = S - margin · I            the positive must win by at least `margin`
//   loss = CE(scale · S, labels=i) row i's positive is column i; all other columns are negatives
// Options of the loss, as sentence-transformers makes them (each off by default = the formula above):
//   gather   data-parallel workers: Q and T are every rank's embeddings (gather.ts), so the
//            negatives are the global batch's; this rank's rows keep their graph
import * as T from '../torch/index.js';
import type { Tensor } from '../torch/index.js';
import { gatherGlobalBatch, type GatherOptions } from './gather.js';

export interface InBatchNegativesOptions {
  margin: number;
  scale: number;
  gather?: GatherOptions;
}

/**
 * @param queries  L2-normalised [B, D]
 * @param titles   L2-normalised [B + H, D]: the B positives first, then any H hard negatives
 */
export function inBatchNegativesLoss(queries: Tensor, titles: Tensor, { margin, scale, gather }: InBatchNegativesOptions): Tensor {
  if (gather) ({ queries, titles } = gatherGlobalBatch(gather, queries, titles));
  const [B] = queries.shape as [number];
  const columns = titles.shape[0]!;
  const dtype = queries.dtype === 'float64' ? 'float64' : 'float32';
  const similarity = T.matmul(queries, T.transpose(titles, 0, 1));
  let marginMatrix = T.mul(T.eye(B, dtype), margin);
  if (columns > B) marginMatrix = T.cat([marginMatrix, T.zeros([B, columns - B], dtype)], 1);
  const logits = T.mul(T.sub(similarity, marginMatrix), scale);
  return T.crossEntropy(logits, T.arange(B));
}
