// Tokenising a chunk of rows into typed arrays (run on worker threads by prepare).
import type { BertTokenizer } from '../../text/bert-tokenizer.js';
import { textHash } from '../training-source.js';

export interface EncodedRows {
  rows: number;
  columns: number;
  /** every text's token ids, row after row, column after column */
  tokens: Uint32Array;
  /** rows x columns token counts (0: no such text) */
  colLengths: Uint16Array;
  /** rows x columns text hashes (0: no such text) */
  hashes: Float64Array;
}

export function encodeRows(rows: string[][], tokenizer: BertTokenizer, maxSeqLength: number): EncodedRows {
  let columns = 2;
  for (const r of rows) if (r.length > columns) columns = r.length;
  const colLengths = new Uint16Array(rows.length * columns);
  const hashes = new Float64Array(rows.length * columns);
  const parts: number[][] = [];
  let total = 0;
  rows.forEach((texts, r) => texts.forEach((text, c) => {
    const ids = tokenizer.encode(text, maxSeqLength).inputIds;
    parts.push(ids);
    colLengths[r * columns + c] = ids.length;
    hashes[r * columns + c] = textHash(text);
    total += ids.length;
  }));
  const tokens = new Uint32Array(total);
  let at = 0;
  for (const ids of parts) { tokens.set(ids, at); at += ids.length; }
  return { rows: rows.length, columns, tokens, colLengths, hashes };
}
