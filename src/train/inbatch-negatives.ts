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
//            when its text equals the positive's or the query's own (same key); the positive column is
//            never masked
//   logQ     sampling-bias correction (Yi et al., RecSys 2019): every logit of column j, the positive's
//            included, becomes scale · S[i][j] - log q_j, q_j how often title j is drawn, so a title that
//            is drawn often stops dominating the negatives (title-frequency.ts)
//   bank     negatives from earlier steps (memory-bank.ts): N more columns of detached title embeddings
//            (no gradient through them); an entry holding the row's positive or query text is always masked.
//            A dual bank (ContAccum) adds its N detached queries as rows, each labelled with its own entry:
//            loss = CE over all B + N rows (this step's titles get gradient as earlier queries' negatives)
//   matryoshka  loss = Σ_k w_k · loss(prefix d_k): the first d_k dimensions of every embedding,
//            renormalised, scored with the same masks and corrections (Kusupati et al. 2022); with
//            distill λ > 0 each shorter prefix also gets λ · w_k · KL(p_full || p_k), p the rows' softmax
//            over the logits and p_full detached: the prefix learns the full embedding's ranking of every
//            negative, not only which column is the positive (self-distillation, as 2DMSE and Starbucks do)
import * as T from '../torch/index.js';
import type { Tensor } from '../torch/index.js';
import { gatherGlobalBatch, type GatherOptions } from './gather.js';

export interface FalseNegativeOptions {
  /** d: a negative scoring above the positive + d is masked */
  margin: number;
  /** filled by the loss: negatives masked, and the strongest suspects (global row, column, scores) */
  stats?: FalseNegativeStats;
}

export interface FalseNegativeStats {
  masked: number;
  suspects: Array<{ row: number; column: number; score: number; positive: number }>;
}

/**
 * Earlier steps' titles as extra negatives: embeddings [N, D] without gradient, with their keys and log q.
 * A dual bank (ContAccum) also gives each entry's query [N, D]: N more rows, each with its own entry as the
 * positive, so this step's titles are negatives of earlier queries too.
 */
export interface BankNegatives {
  embeddings: Tensor;
  keys: Float64Array;
  logQ?: Float64Array;
  queries?: Tensor;
  queryKeys?: Float64Array;
}

/** The global batch after gathering: what a memory bank keeps (a dual bank the queries too). */
export interface GlobalTitles {
  titles: Tensor;
  keys: Float64Array;
  queries: Tensor;
  queryKeys?: Float64Array;
}

export interface MatryoshkaPlan {
  dims: number[];
  weights: number[];
  /** λ: weight of KL(full || prefix) per shorter prefix (0: the prefixes' in-batch losses only) */
  distill: number;
}

export interface InBatchNegativesOptions {
  margin: number;
  scale: number;
  gather?: GatherOptions;
  /** a key per title of this rank (its text's hash): equal texts, equal keys (false negatives, the bank) */
  titleKeys?: Float64Array;
  /** a key per query of this rank: a negative holding the query's own text is masked like the positive's */
  queryKeys?: Float64Array;
  falseNegatives?: FalseNegativeOptions;
  /** log q per title of this rank, subtracted from its column's logits */
  titleLogQ?: Float64Array;
  bank?: BankNegatives;
  /** Matryoshka: prefix dimensions (the full one among them), their weights, and the self-distillation weight */
  matryoshka?: MatryoshkaPlan;
  /** called with the global titles (and their keys) once they are known */
  onGlobalTitles?: (g: GlobalTitles) => void;
}

/**
 * @param queries  L2-normalised [B, D]
 * @param titles   L2-normalised [B + H, D]: the B positives first, then any H hard negatives
 */
export function inBatchNegativesLoss(queries: Tensor, titles: Tensor, o: InBatchNegativesOptions): Tensor {
  let keys = o.titleKeys, logQ = o.titleLogQ, queryKeys = o.queryKeys;
  if (o.gather) {
    if (keys) keys = gatheredColumn(o.gather, queries.shape[0]!, keys);
    if (logQ) logQ = gatheredColumn(o.gather, queries.shape[0]!, logQ);
    if (queryKeys) queryKeys = gatheredQueryColumn(o.gather, titles.shape[0]!, queryKeys);
    ({ queries, titles } = gatherGlobalBatch(o.gather, queries, titles));
  }
  if (o.onGlobalTitles && keys) o.onGlobalTitles({ titles, keys, queries, queryKeys });
  const [B] = queries.shape as [number];
  const titleCount = titles.shape[0]!;
  const bankRows = o.bank?.queries;
  const rows = bankRows ? T.cat([queries, bankRows], 0) : queries;
  const R = rows.shape[0]!;
  const negatives = o.bank ? T.cat([titles, o.bank.embeddings], 0) : titles;
  const columns = negatives.shape[0]!;
  // row i's positive: column i; a dual bank's row B + k: its own entry, column titleCount + k
  const positiveColumn = (i: number) => (i < B ? i : titleCount + i - B);
  const dtype = queries.dtype === 'float64' ? 'float64' : 'float32';
  const similarity = T.matmul(rows, T.transpose(negatives, 0, 1));
  const columnKeys = keys && o.bank ? concat(keys, o.bank.keys) : keys;
  const rowQueryKeys = queryKeys && bankRows ? concat(queryKeys, o.bank!.queryKeys ?? new Float64Array(R - B).fill(NaN)) : queryKeys;
  const columnLogQ = logQ && o.bank ? concat(logQ, o.bank.logQ ?? new Float64Array(o.bank.keys.length)) : logQ;
  const additive = o.falseNegatives || o.bank || columnLogQ
    ? additiveTerms(similarity, B, R, columns, positiveColumn, { d: o.falseNegatives?.margin, keys: columnKeys, queryKeys: rowQueryKeys, bankFrom: o.bank ? titleCount : undefined, logQ: columnLogQ, stats: o.falseNegatives?.stats })
    : undefined;
  let marginMatrix: Tensor, labels: Tensor;
  if (bankRows) {
    const m = dtype === 'float64' ? new Float64Array(R * columns) : new Float32Array(R * columns);
    const l = new BigInt64Array(R);
    for (let i = 0; i < R; i++) { m[i * columns + positiveColumn(i)] = o.margin; l[i] = BigInt(positiveColumn(i)); }
    marginMatrix = T.fromData(m, [R, columns]);
    labels = T.fromData(l, [R]);
  } else {
    marginMatrix = T.mul(T.eye(B, dtype), o.margin);
    if (columns > B) marginMatrix = T.cat([marginMatrix, T.zeros([B, columns - B], dtype)], 1);
    labels = T.arange(B);
  }
  const logitsOf = (s: Tensor) => {
    const logits = T.mul(T.sub(s, marginMatrix), o.scale);
    return additive ? T.add(logits, additive) : logits;
  };
  if (!o.matryoshka) return T.crossEntropy(logitsOf(similarity), labels);
  const { dims, weights, distill } = o.matryoshka;
  const full = queries.shape[1]!;
  const fullLogits = logitsOf(similarity);
  const teacher = distill > 0 ? { p: T.detach(T.softmax(fullLogits, 1)), logP: T.detach(T.logSoftmax(fullLogits, 1)) } : undefined;
  let total: Tensor | undefined;
  dims.forEach((d, k) => {
    const logits = d === full ? fullLogits : logitsOf(T.matmul(prefix(rows, d), T.transpose(prefix(negatives, d), 0, 1)));
    let loss = T.crossEntropy(logits, labels);
    if (teacher && d !== full) loss = T.add(loss, T.mul(klDivergence(teacher, T.logSoftmax(logits, 1)), distill));
    const weighted = T.mul(loss, weights[k]!);
    total = total ? T.add(total, weighted) : weighted;
  });
  return total!;
}

/**
 * Mean over rows of KL(p || q) = Σ_j p_j (log p_j - log q_j), p given (detached) with its log. Masked columns have
 * log p = log q = -inf; clamping them to a finite floor makes their term 0 · finite = 0 (and no gradient).
 */
function klDivergence(teacher: { p: Tensor; logP: Tensor }, logQ: Tensor): Tensor {
  const floor = -1e4;
  const { p, logP } = teacher;
  const perRow = T.sum(T.mul(p, T.sub(T.clampMin(logP, floor), T.clampMin(logQ, floor))), [1]);
  return T.mean(perRow);
}

/** The first d dimensions of every row, renormalised. */
export function prefix(x: Tensor, d: number): Tensor {
  return T.l2Normalize(T.narrow(x, 1, 0, d), 1);
}

interface AdditiveOptions {
  /** false-negative margin (undefined: the score rule is off) */
  d?: number;
  keys?: Float64Array;
  queryKeys?: Float64Array;
  /** first bank column (undefined: no bank); a bank entry with the positive's key is always masked */
  bankFrom?: number;
  logQ?: Float64Array;
  stats?: FalseNegativeStats;
}

/**
 * Terms added to the scaled logits, computed without a graph: -inf where a negative is masked, -log q per
 * column. Rows from B on are a dual bank's (their texts are always compared; no suspects are recorded).
 */
function additiveTerms(similarity: Tensor, B: number, R: number, columns: number, positiveColumn: (i: number) => number, o: AdditiveOptions): Tensor {
  const s = T.toData(T.detach(similarity)) as Float32Array | Float64Array;
  const out = similarity.dtype === 'float64' ? new Float64Array(R * columns) : new Float32Array(R * columns);
  const { d, keys, queryKeys, bankFrom, logQ, stats } = o;
  for (let i = 0; i < R; i++) {
    const p = positiveColumn(i);
    const positive = s[i * columns + p]!;
    const bankRow = i >= B;
    for (let j = 0; j < columns; j++) {
      const at = i * columns + j;
      if (logQ) out[at] = -logQ[j]!;
      if (j === p) continue;
      const score = s[at]!;
      const sameText = keys !== undefined && (keys[j] === keys[p] || (queryKeys !== undefined && keys[j] === queryKeys[i]));
      const byScore = d !== undefined && score > positive + d;
      const masked = byScore || (sameText && (d !== undefined || bankRow || (bankFrom !== undefined && j >= bankFrom)));
      if (!masked) continue;
      out[at] = -Infinity;
      if (stats && !bankRow) {
        stats.masked++;
        stats.suspects.push({ row: i, column: j, score, positive });
      }
    }
  }
  return T.fromData(out, [R, columns]);
}

function concat(a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** A per-query value in the gathered queries' order. */
function gatheredQueryColumn(gather: GatherOptions, titleRows: number, values: Float64Array): Float64Array {
  return T.noGrad(() => {
    const q = T.fromData(Float64Array.from(values), [values.length, 1]);
    const t = T.zeros([titleRows, 1], 'float64');
    return Float64Array.from(T.toData(gatherGlobalBatch(gather, q, t).queries) as Float64Array);
  });
}

/** A per-title value (a key, a log q) in the gathered titles' order (as gatherGlobalBatch orders the embeddings). */
function gatheredColumn(gather: GatherOptions, rows: number, values: Float64Array): Float64Array {
  return T.noGrad(() => {
    const q = T.zeros([rows, 1], 'float64');
    const t = T.fromData(Float64Array.from(values), [values.length, 1]);
    return Float64Array.from(T.toData(gatherGlobalBatch(gather, q, t).titles) as Float64Array);
  });
}
