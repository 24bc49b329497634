// PaddleNLP recall layout: dev.tsv (query<TAB>gold text) and recall_result.txt (query<TAB>recalled text<TAB>cosine, recall_num lines per query).
import { readUtf8File } from '../util/utf8-file.js';
import { DataFileError } from './errors.js';

export interface DevPair {
  query: string;
  gold: string;
}

export function readDevPairs(file: string): DevPair[] {
  const out: DevPair[] = [];
  readUtf8File(file).split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') return;
    const cols = line.split('\t');
    if (cols.length !== 2) throw new DataFileError(file, i + 1, `expected query<TAB>gold text, found ${cols.length === 1 ? 'one column' : `${cols.length} columns`}`);
    if (!cols[0]!.trim() || !cols[1]!.trim()) throw new DataFileError(file, i + 1, `empty ${cols[0]!.trim() ? 'gold text' : 'query'}`);
    out.push({ query: cols[0]!.trim(), gold: cols[1]!.trim() });
  });
  if (!out.length) throw new Error(`${file}: no query/gold pairs`);
  return out;
}

export interface RecallRow { query: string; text: string; score: number }

export function formatRecallRows(rows: RecallRow[]): string {
  return rows.map((r) => `${r.query}\t${r.text}\t${r.score.toFixed(6)}\n`).join('');
}

/** Groups recall_result lines by query, in file order. */
export function readRecallResult(file: string): { query: string; texts: string[]; firstLine: number }[] {
  const groups: { query: string; texts: string[]; firstLine: number }[] = [];
  readUtf8File(file).split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (!line.trim()) return;
    const cols = line.split('\t');
    if (cols.length < 3) throw new DataFileError(file, i + 1, `expected query<TAB>text<TAB>cosine, found ${cols.length} column(s)`);
    if (!Number.isFinite(Number(cols[2]))) throw new DataFileError(file, i + 1, `cosine "${cols[2]}" is not a number`);
    const last = groups.at(-1);
    if (last && last.query === cols[0]) last.texts.push(cols[1]!);
    else groups.push({ query: cols[0]!, texts: [cols[1]!], firstLine: i + 1 });
  });
  return groups;
}
