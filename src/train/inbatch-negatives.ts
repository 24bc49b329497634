// In-batch negatives loss (PaddleNLP semantic_indexing, Karpukhin et al. DPR):
//   S = Q · Tᵀ                    cosine similarities, [B, B] (+ extra hard-negative columns)
//   S = S - margin · I            the positive must win by at least `margin`
//   loss = CE(scale · S, labels=i) row i's positive is column i; all other columns are negatives
// Options of the loss, as sentence-transformers makes them (each off by default = the formula above):
//   gather   data-parallel workers: Q and T are every rank's embeddings (gather.ts), so the
//            negatives are the global batch's; this rank's rows keep their graph
//   falseNegatives  a negative j of row i is removed from the softmax denominator (its logit set to
//            -inf: no loss, no gradient) when S[i][j] > S[i][i] + d (it scores above the positive by
//            more than d: likely a text that also matches, Qwen3-Embedding's rule with d = 0.1), or
//            when its text equals the positive's (same key); the positive column is never masked
import * as T from '../torch/index.js';
import type { Tensor } from '../torch/index.js';
import { gatherGlobalBatch, type GatherOptions } from './gather.js';

export interface FalseNegativeOptions {
  /** d: a negative scoring above the positive + d is masked */
  margin: number;
  /** a key per title of this rank (a hash of its tokens): a title with its row's positive's key is masked */
  titleKeys?: Float64Array;
  /** filled by the loss: negatives masked, and the strongest suspects (global row, column, scores) */
  stats?: FalseNegativeStats;
}

export interface FalseNegativeStats {
  masked: number;
  suspects: Array<{ row: number; column: number; score: number; positive: number }>;
}

export interface InBatchNegativesOptions {
  margin: number;
  scale: number;
  gather?: GatherOptions;
  falseNegatives?: FalseNegativeOptions;
}

/**
 * @param queries  L2-normalised [B, D]
 * @param titles   L2-normalised [B + H, D]: the B positives first, then any H hard negatives
 */
export function inBatchNegativesLoss(queries: Tensor, titles: Tensor, { margin, scale, gather, falseNegatives }: InBatchNegativesOptions): Tensor {
  let keys = falseNegatives?.titleKeys;
  if (gather && keys) keys = gatheredKeys(gather, queries.shape[0]!, keys);
  if (gather) ({ queries, titles } = gatherGlobalBatch(gather, queries, titles));
  const [B] = queries.shape as [number];
  const columns = titles.shape[0]!;
  const dtype = queries.dtype === 'float64' ? 'float64' : 'float32';
  const similarity = T.matmul(queries, T.transpose(titles, 0, 1));
  let marginMatrix = T.mul(T.eye(B, dtype), margin);
  if (columns > B) marginMatrix = T.cat([marginMatrix, T.zeros([B, columns - B], dtype)], 1);
  let logits = T.mul(T.sub(similarity, marginMatrix), scale);
  if (falseNegatives) logits = T.add(logits, falseNegativeMask(similarity, B, columns, falseNegatives.margin, keys, falseNegatives.stats));
  return T.crossEntropy(logits, T.arange(B));
}

/** 0 where a logit counts, -inf where a negative is masked (computed without a graph). */
function falseNegativeMask(similarity: Tensor, B: number, columns: number, d: number, keys: Float64Array | undefined, stats?: FalseNegativeStats): Tensor {
  const s = T.toData(T.detach(similarity)) as Float32Array | Float64Array;
  const mask = similarity.dtype === 'float64' ? new Float64Array(B * columns) : new Float32Array(B * columns);
  for (let i = 0; i < B; i++) {
    const positive = s[i * columns + i]!;
    for (let j = 0; j < columns; j++) {
      if (j === i) continue;
      const score = s[i * columns + j]!;
      if (score > positive + d || (keys !== undefined && keys[j] === keys[i])) {
        mask[i * columns + j] = -Infinity;
        if (stats) {
          stats.masked++;
          stats.suspects.push({ row: i, column: j, score, positive });
        }
      }
    }
  }
  return T.fromData(mask, [B, columns]);
}

/** The title keys in the gathered titles' order (as gatherGlobalBatch orders the embeddings). */
function gatheredKeys(gather: GatherOptions, rows: number, keys: Float64Array): Float64Array {
  return T.noGrad(() => {
    const q = T.zeros([rows, 1], 'float64');
    const t = T.fromData(Float64Array.from(keys), [keys.length, 1]);
    return Float64Array.from(T.toData(gatherGlobalBatch(gather, q, t).titles) as Float64Array);
  });
}
