// Training pairs: `query<TAB>positive[<TAB>hard negative]` per line; blank lines ignored.
import { readFileSync } from 'node:fs';
import { readUtf8File } from '../util/utf8-file.js';
import { DataFileError } from './errors.js';

export interface TextPair {
  query: string;
  positive: string;
  hardNegative?: string;
  /** 1-based line in the source file */
  line: number;
}

export interface ReadPairsOptions {
  /** count bad lines and go on instead of failing at the first */
  skipBadLines?: boolean;
}

export interface PairsFile {
  pairs: TextPair[];
  badLines: DataFileError[];
}

/** @param invalidMarked the text was decoded leniently: a U+FFFD marks a line that was not valid UTF-8 */
/**
 * The trimmed texts of one line, query<TAB>positive[<TAB>hard negative...] (at most maxColumns;
 * empty trailing hard negatives are left out), or the problem with the line.
 */
export function pairColumns(raw: string, maxColumns: number): string[] | string {
  const cols = raw.split('\t').map((c) => c.trim());
  if (cols.length < 2) return 'expected query<TAB>positive, found one column';
  if (cols.length > maxColumns) return maxColumns === 3 ? `expected 2 or 3 tab-separated columns, found ${cols.length}` : `expected at most ${maxColumns} tab-separated columns, found ${cols.length}`;
  if (cols[0] === '') return 'empty query';
  if (cols[1] === '') return 'empty positive';
  while (cols.length > 2 && cols.at(-1) === '') cols.pop();
  if (cols.slice(2).includes('')) return 'empty hard negative between others';
  return cols;
}

export function parsePairs(text: string, file: string, options: ReadPairsOptions = {}, invalidMarked = false): PairsFile {
  const pairs: TextPair[] = [];
  const badLines: DataFileError[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.replace(/\r$/, '');
    if (raw.trim() === '') continue;
    const cols = invalidMarked && raw.includes('\uFFFD') ? 'invalid UTF-8' : pairColumns(raw, 3);
    if (typeof cols === 'string') {
      const err = new DataFileError(file, i + 1, cols);
      if (!options.skipBadLines) throw err;
      badLines.push(err);
      continue;
    }
    const pair: TextPair = { query: cols[0]!, positive: cols[1]!, line: i + 1 };
    if (cols[2] !== undefined) pair.hardNegative = cols[2];
    pairs.push(pair);
  }
  return { pairs, badLines };
}

export function readPairs(file: string, options: ReadPairsOptions = {}): PairsFile {
  try {
    return parsePairs(readUtf8File(file), file, options);
  } catch (e) {
    if (!options.skipBadLines || !/invalid UTF-8/.test((e as Error).message)) throw e;
  }
  // with --skip-bad-lines, lines that are not valid UTF-8 are counted like any other bad line
  return parsePairs(new TextDecoder('utf-8', { ignoreBOM: false }).decode(readFileSync(file)), file, options, true);
}
