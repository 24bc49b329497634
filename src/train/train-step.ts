// One optimisation step of in-batch negatives:
//   q = encode(queries), t = encode(titles [+ hard negatives]), loss = CE(scale · (q tᵀ - margin·I), i)
//   backward -> clip the global gradient norm -> AdamW update -> zero the gradients.
import type { DualEncoder } from '../model/dual-encoder.js';
import { padTokenLists, type PaddedBatch } from '../text/collate.js';
import * as T from '../torch/index.js';
import type { AdamW } from './adamw.js';
import { clipGradNorm } from './clip.js';
import { inBatchNegativesLoss } from './inbatch-negatives.js';
import type { TrainingSource } from '../data/training-source.js';

export interface PairBatch {
  queries: PaddedBatch;
  /** the positives, then the hard negatives of the rows that have one */
  titles: PaddedBatch;
}

/** A batch's token lists: one query per row, then the titles in loss order, and each title's row. */
export interface BatchTexts {
  queries: Uint32Array[];
  titles: Uint32Array[];
  titleRow: Int32Array;
  /** the column each title comes from: 1 positive, 2... hard negatives */
  titleColumn: Int32Array;
}

/**
 * The texts of some rows: titles are every row's positive, then, column by column, the hard
 * negatives of the rows that have one (each an extra negative for every query).
 */
export function batchTexts(data: TrainingSource, rows: Uint32Array): BatchTexts {
  const texts = data.tokensOf(rows);
  const titles = texts.map((t) => t[1]!);
  const titleRow = texts.map((_, r) => r);
  const titleColumn = texts.map(() => 1);
  for (let c = 2; c < data.columns; c++) texts.forEach((t, r) => { if (t[c]!.length) { titles.push(t[c]!); titleRow.push(r); titleColumn.push(c); } });
  return { queries: texts.map((t) => t[0]!), titles, titleRow: Int32Array.from(titleRow), titleColumn: Int32Array.from(titleColumn) };
}

/** The padded query and title batches of some rows. */
export function collateRows(data: TrainingSource, rows: Uint32Array, padId: number, padTo?: number): PairBatch {
  const { queries, titles } = batchTexts(data, rows);
  return { queries: padTokenLists(queries, padId, padTo), titles: padTokenLists(titles, padId, padTo) };
}

export interface StepSettings {
  margin: number;
  scale: number;
  maxGradNorm: number;
  lr: number;
  /** seeds the dropout masks, so they depend only on (seed, step) and resumes are exact */
  stepSeed: number;
}

export interface StepResult { loss: number; gradNorm: number; tokens: number }

export function trainStep(model: DualEncoder, optimizer: AdamW, batch: PairBatch, s: StepSettings): StepResult {
  T.manualSeed(s.stepSeed);
  const loss = T.tidy(() => {
    const q = model.forward(batch.queries, true);
    const t = model.forward(batch.titles, true);
    const l = inBatchNegativesLoss(q, t, { margin: s.margin, scale: s.scale });
    T.backward(l);
    return T.item(l);
  });
  const gradNorm = clipGradNorm(optimizer.params.map(([, p]) => p), s.maxGradNorm);
  optimizer.update(s.lr);
  optimizer.zeroGrad();
  return { loss, gradNorm, tokens: batch.queries.tokens + batch.titles.tokens };
}
