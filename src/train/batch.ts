// A training batch's texts as the step needs them: one query per row, then the titles in loss
// order (every row's positive, then column by column the hard negatives of the rows that have one,
// each an extra negative for every query), with each title's row and column.
import { padTokenLists, type PaddedBatch } from '../text/collate.js';
import type { TrainingSource } from '../data/training-source.js';

export interface BatchTexts {
  queries: Uint32Array[];
  titles: Uint32Array[];
  titleRow: Int32Array;
  /** the column each title comes from: 1 positive, 2... hard negatives */
  titleColumn: Int32Array;
  /** each title's text hash (equal texts, equal keys) */
  titleKeys: Float64Array;
  /** each query's text hash */
  queryKeys: Float64Array;
}

export function batchTexts(data: TrainingSource, rows: Uint32Array): BatchTexts {
  const texts = data.tokensOf(rows);
  const titles = texts.map((t) => t[1]!);
  const titleRow = texts.map((_, r) => r);
  const titleColumn = texts.map(() => 1);
  const { hashes } = data.keysOf(rows);
  const C = data.columns;
  const titleKeys = texts.map((_, r) => hashes[r * C + 1]!);
  for (let c = 2; c < C; c++) texts.forEach((t, r) => { if (t[c]!.length) { titles.push(t[c]!); titleRow.push(r); titleColumn.push(c); titleKeys.push(hashes[r * C + c]!); } });
  return { queries: texts.map((t) => t[0]!), titles, titleRow: Int32Array.from(titleRow), titleColumn: Int32Array.from(titleColumn), titleKeys: Float64Array.from(titleKeys), queryKeys: Float64Array.from(texts, (_, r) => hashes[r * C]!) };
}

/** Real tokens of a batch (no padding). */
export function batchTokens(batch: BatchTexts): number {
  let tokens = 0;
  for (const l of batch.queries) tokens += l.length;
  for (const l of batch.titles) tokens += l.length;
  return tokens;
}

/** The padded query and title batches of some rows (benchmarks count their tokens). */
export function collateRows(data: TrainingSource, rows: Uint32Array, padId: number, padTo?: number): { queries: PaddedBatch; titles: PaddedBatch } {
  const { queries, titles } = batchTexts(data, rows);
  return { queries: padTokenLists(queries, padId, padTo), titles: padTokenLists(titles, padId, padTo) };
}
