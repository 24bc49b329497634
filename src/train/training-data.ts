// Tokenises every distinct text of the training pairs once.
import type { TextPair } from '../data/pairs.js';
import { createHash } from 'node:crypto';
import type { BertTokenizer, Encoding } from '../text/bert-tokenizer.js';

export interface TrainingRow {
  query: number;
  positive: number;
  hardNegative?: number;
}

export interface TrainingData {
  encodings: Encoding[];
  texts: string[];
  rows: TrainingRow[];
  /** texts that must not repeat within a batch, per row */
  keys: string[][];
  /** longest side of each row, in tokens */
  lengths: number[];
}

export function prepareTrainingData(pairs: TextPair[], tokenizer: BertTokenizer, maxSeqLength: number): TrainingData {
  const ids = new Map<string, number>();
  const texts: string[] = [];
  const encodings: Encoding[] = [];
  const idOf = (text: string) => {
    let id = ids.get(text);
    if (id === undefined) {
      id = texts.length;
      ids.set(text, id);
      texts.push(text);
      encodings.push(tokenizer.encode(text, maxSeqLength));
    }
    return id;
  };
  const rows: TrainingRow[] = [];
  const keys: string[][] = [];
  const lengths: number[] = [];
  for (const p of pairs) {
    const row: TrainingRow = { query: idOf(p.query), positive: idOf(p.positive) };
    const rowKeys = [p.query, p.positive];
    if (p.hardNegative !== undefined) {
      row.hardNegative = idOf(p.hardNegative);
      rowKeys.push(p.hardNegative);
    }
    rows.push(row);
    keys.push(rowKeys);
    lengths.push(Math.max(...[row.query, row.positive, row.hardNegative ?? row.query].map((i) => encodings[i]!.inputIds.length)));
  }
  return { encodings, texts, rows, keys, lengths };
}

/** Identifies the training rows (their texts, in order): a checkpoint resumes only on the same data. */
export function trainingDataFingerprint(data: TrainingData): string {
  const hash = createHash('sha256');
  for (const row of data.rows) {
    hash.update(data.texts[row.query]!).update('\t').update(data.texts[row.positive]!);
    if (row.hardNegative !== undefined) hash.update('\t').update(data.texts[row.hardNegative]!);
    hash.update('\n');
  }
  return `${data.rows.length}:${hash.digest('hex').slice(0, 16)}`;
}
