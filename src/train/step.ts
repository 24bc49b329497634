// One optimisation step of in-batch negatives, whatever the options:
//   embed     the whole batch with one graph, or (GradCache, chunkSize) chunk by chunk with replay
//   loss      inBatchNegativesLoss over this batch, or (workers, group) over every rank's embeddings
//   backward  gradients of that loss with respect to this process's parameters
//   bank      (with a memory bank) this step's global titles join it, for the steps after
//   finish    sum the gradients over the workers, clip the global norm, AdamW update, zero
// Dropout masks depend only on (seed, step, rank), so a resumed run and a replayed chunk see the same ones.
import type { DualEncoder } from '../model/dual-encoder.js';
import { padTokenLists } from '../text/collate.js';
import * as T from '../torch/index.js';
import type { ProcessGroup, Tensor } from '../torch/index.js';
import type { AdamW } from './adamw.js';
import { batchTokens, type BatchTexts } from './batch.js';
import { clipGradNorm } from './clip.js';
import { allReduceGradients } from './gather.js';
import { backwardInChunks } from './grad-cache.js';
import { inBatchNegativesLoss, type FalseNegativeStats, type GlobalTitles, type MatryoshkaPlan } from './inbatch-negatives.js';
import type { BankEntries, MemoryBank } from './memory-bank.js';
import type { TitleFrequency } from './title-frequency.js';

export interface StepOptions {
  margin: number;
  scale: number;
  maxGradNorm: number;
  lr: number;
  /** seeds the dropout masks, so they depend only on (seed, step) and resumes are exact */
  stepSeed: number;
  padId: number;
  /** pad every batch to this length instead of its longest row */
  padTo?: number;
  /** GradCache: embed in chunks of this many rows (one chunk's graph in memory at a time) */
  chunkSize?: number;
  /** data-parallel workers: this rank's rows are its share; the loss is the global batch's */
  group?: ProcessGroup;
  /** text columns of the data (2: query, positive; more: hard negatives), for gathering */
  columns: number;
  /** false-negative masking (inbatch-negatives.ts): its margin d; stats come back in the result */
  falseNegativeMargin?: number;
  /** logQ correction: how often each title is drawn (title-frequency.ts) */
  titleFrequency?: TitleFrequency;
  /** earlier steps' titles: used as negatives when `useBank`, and this step's titles pushed after it */
  bank?: MemoryBank;
  useBank?: boolean;
  /** Matryoshka prefix dimensions and weights */
  matryoshka?: MatryoshkaPlan;
}

export interface StepResult {
  loss: number;
  gradNorm: number;
  tokens: number;
  /** GradCache: largest difference between a chunk's graph pass and its first pass (0: masks replayed) */
  replayMaxDiff?: number;
  /** with falseNegativeMargin: what was masked (rows and columns index the global batch) */
  falseNegatives?: FalseNegativeStats;
  /** bank entries used as negatives in this step */
  bankNegatives?: number;
}

export function trainStep(model: DualEncoder, optimizer: AdamW, batch: BatchTexts, o: StepOptions): StepResult {
  const { group } = o;
  T.manualSeed(group ? o.stepSeed * 31 + group.rank : o.stepSeed); // each rank its own dropout masks
  const gather = group ? { group, titleColumn: batch.titleColumn, columns: o.columns } : undefined;
  const falseNegatives = o.falseNegativeMargin === undefined ? undefined : { margin: o.falseNegativeMargin, stats: { masked: 0, suspects: [] } as FalseNegativeStats };
  const needKeys = falseNegatives !== undefined || o.bank !== undefined || o.titleFrequency !== undefined;
  const bank = o.bank && o.useBank && o.bank.size > 0 ? o.bank : undefined;
  const bankUsed = bank?.size;
  let global: BankEntries | undefined;
  const keep = o.bank ? (g: GlobalTitles) => { global = bankEntriesOf(g, o.bank!.dual); } : undefined;
  const lossOf = (q: Tensor, t: Tensor) => {
    const negatives = bank?.negatives(q.dtype === 'float64' ? 'float64' : 'float32');
    return inBatchNegativesLoss(q, t, {
      margin: o.margin, scale: o.scale, gather, falseNegatives, matryoshka: o.matryoshka, onGlobalTitles: keep,
      titleKeys: needKeys ? batch.titleKeys : undefined,
      queryKeys: needKeys ? batch.queryKeys : undefined,
      titleLogQ: o.titleFrequency?.logQ(batch.titleKeys),
      bank: negatives && { ...negatives, logQ: o.titleFrequency?.logQ(negatives.keys) },
    });
  };
  const { loss, replayMaxDiff } = o.chunkSize
    ? backwardInChunks(model, batch, { chunkSize: o.chunkSize, padId: o.padId, padTo: o.padTo }, lossOf)
    : { loss: backwardWhole(model, batch, o, lossOf), replayMaxDiff: undefined };
  if (global) o.bank!.push(global);
  if (group) allReduceGradients(group, optimizer);
  const gradNorm = clipGradNorm(optimizer.params.map(([, p]) => p), o.maxGradNorm);
  optimizer.update(o.lr);
  optimizer.zeroGrad();
  return { loss, gradNorm, tokens: batchTokens(batch), replayMaxDiff, falseNegatives: falseNegatives?.stats, bankNegatives: bankUsed };
}

/** What this step leaves in the bank: every global title, or (dual bank) each (query, positive) pair. */
function bankEntriesOf(g: GlobalTitles, dual: boolean): BankEntries {
  return T.noGrad(() => {
    if (!dual) return { vectors: T.toFloat32(T.detach(g.titles)), keys: g.keys };
    const B = g.queries.shape[0]!;
    return {
      vectors: T.toFloat32(T.detach(T.narrow(g.titles, 0, 0, B))), keys: g.keys.slice(0, B),
      queries: T.toFloat32(T.detach(g.queries)), queryKeys: g.queryKeys ?? new Float64Array(B).fill(NaN),
    };
  });
}

function backwardWhole(model: DualEncoder, batch: BatchTexts, o: StepOptions, lossOf: (q: Tensor, t: Tensor) => Tensor): number {
  return T.tidy(() => {
    const q = model.forward(padTokenLists(batch.queries, o.padId, o.padTo), true);
    const t = model.forward(padTokenLists(batch.titles, o.padId, o.padTo), true);
    const l = lossOf(q, t);
    T.backward(l);
    return T.item(l);
  });
}
