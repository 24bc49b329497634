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
export function parsePairs(text: string, file: string, options: ReadPairsOptions = {}, invalidMarked = false): PairsFile {
  const pairs: TextPair[] = [];
  const badLines: DataFileError[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.replace(/\r$/, '');
    if (raw.trim() === '') continue;
    const cols = raw.split('\t');
    let problem: string | undefined;
    if (invalidMarked && raw.includes('\uFFFD')) problem = 'invalid UTF-8';
    else if (cols.length < 2) problem = 'expected query<TAB>positive, found one column';
    else if (cols.length > 3) problem = `expected 2 or 3 tab-separated columns, found ${cols.length}`;
    else if (cols[0]!.trim() === '') problem = 'empty query';
    else if (cols[1]!.trim() === '') problem = 'empty positive';
    if (problem) {
      const err = new DataFileError(file, i + 1, problem);
      if (!options.skipBadLines) throw err;
      badLines.push(err);
      continue;
    }
    const pair: TextPair = { query: cols[0]!.trim(), positive: cols[1]!.trim(), line: i + 1 };
    if (cols.length === 3 && cols[2]!.trim() !== '') pair.hardNegative = cols[2]!.trim();
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
