// The rows of a corpus of any size, streamed from plain or .gz files (a file, a folder or a glob):
//   lines  one text per line (the first tab column, as data/corpus-file's rule)
//   tsv    id<TAB>text per line (BEIR's corpus.tsv; a header line "id<TAB>text" is skipped)
//   auto   tsv for files named *.tsv(.gz), lines otherwise
// A bad line (empty text, invalid UTF-8, longer than the limit, a tsv line without an id) is an
// error naming file:line, or, with skipBad, skipped and counted.
import { basename } from 'node:path';
import { DataFileError } from './errors.js';
import { fileLines } from './input-files.js';

export type CorpusFormat = 'auto' | 'lines' | 'tsv';

export interface CorpusRowOptions {
  format?: CorpusFormat;
  /** longest text kept, in characters */
  maxChars?: number;
  skipBad?: boolean;
  /** filled as rows are read */
  stats?: CorpusStats;
}

export interface CorpusStats {
  rows: number;
  skipped: number;
  /** the first few skipped lines, as file:line: problem */
  examples: string[];
}

export const DEFAULT_MAX_TEXT_CHARS = 100_000;

export interface CorpusRow {
  /** the TSV id (tsv format only) */
  id?: string;
  text: string;
}

export function formatOf(file: string, format: CorpusFormat): 'lines' | 'tsv' {
  return format !== 'auto' ? format : /\.tsv(\.gz)?$/i.test(basename(file)) ? 'tsv' : 'lines';
}

export async function* corpusRows(files: string[], o: CorpusRowOptions = {}): AsyncGenerator<CorpusRow> {
  const maxChars = o.maxChars ?? DEFAULT_MAX_TEXT_CHARS;
  const stats = o.stats ?? { rows: 0, skipped: 0, examples: [] };
  for (const file of files) {
    const format = formatOf(file, o.format ?? 'auto');
    let line = 0;
    for await (const raw of fileLines(file)) {
      line++;
      const row = parse(raw, format, maxChars, line);
      if (typeof row === 'string') {
        if (row === 'header') continue;
        if (!o.skipBad) throw new DataFileError(file, line, `${row} (pass --skip-bad-lines to skip such lines)`);
        stats.skipped++;
        if (stats.examples.length < 5) stats.examples.push(`${file}:${line}: ${row}`);
        continue;
      }
      stats.rows++;
      yield row;
    }
  }
}

function parse(raw: string | null, format: 'lines' | 'tsv', maxChars: number, line: number): CorpusRow | string {
  if (raw === null) return 'invalid UTF-8';
  if (format === 'lines') {
    const tab = raw.indexOf('\t');
    const text = (tab >= 0 ? raw.slice(0, tab) : raw).trim();
    if (!text) return 'empty text';
    return text.length > maxChars ? `text of ${text.length} characters, over the limit of ${maxChars}` : { text };
  }
  const tab = raw.indexOf('\t');
  if (tab < 0) return raw.trim() ? 'no TAB: expected id<TAB>text' : 'empty line';
  const id = raw.slice(0, tab).trim();
  const text = raw.slice(tab + 1).replace(/\t/g, ' ').trim();
  if (line === 1 && id === 'id' && (text === 'text' || text.startsWith('text '))) return 'header';
  if (!id) return 'empty id';
  if (!text) return 'empty text';
  return text.length > maxChars ? `text of ${text.length} characters, over the limit of ${maxChars}` : { id, text };
}
