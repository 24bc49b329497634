// BEIR / MTEB retrieval layout: queries and corpus as TSV (id<TAB>text[<TAB>title]) or
// JSONL ({"_id", "title", "text"}), qrels as TSV (qid<TAB>docid<TAB>score, or TREC's
// qid 0 docid score), and TREC run files (qid Q0 docid rank score tag).
import { readUtf8File } from '../util/utf8-file.js';
import { DataFileError } from './errors.js';

export interface IdText { id: string; text: string }
/** qid -> docid -> graded relevance (the shape eval/trec-metrics scores) */
export type Qrels = Map<string, Map<string, number>>;
/** qid -> documents best first */
export type Run = Map<string, { id: string; score: number }[]>;

function lines(file: string): string[] {
  return readUtf8File(file).split('\n').map((l) => l.replace(/\r$/, ''));
}

const HEADER_IDS = new Set(['id', '_id', 'qid', 'query-id', 'query_id', 'docid', 'corpus-id', 'doc_id']);

/** id<TAB>text rows (TSV) or {_id, title, text} objects (JSONL); BEIR's title is joined before the text. */
export function readIdTexts(file: string): IdText[] {
  const out: IdText[] = [];
  const seen = new Set<string>();
  const jsonl = file.endsWith('.jsonl') || file.endsWith('.json');
  lines(file).forEach((line, i) => {
    if (!line.trim()) return;
    let id: string, text: string;
    if (jsonl) {
      let obj: { _id?: unknown; id?: unknown; title?: unknown; text?: unknown };
      try {
        obj = JSON.parse(line);
      } catch (e) {
        throw new DataFileError(file, i + 1, `not valid JSON (${(e as Error).message})`);
      }
      if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new DataFileError(file, i + 1, 'expected a JSON object {"_id", "text"}');
      const rawId = obj._id ?? obj.id;
      if (rawId === undefined || rawId === null) throw new DataFileError(file, i + 1, 'missing "_id"');
      if (typeof rawId !== 'string' && !(typeof rawId === 'number' && Number.isFinite(rawId))) throw new DataFileError(file, i + 1, `"_id" must be a string or a number, not ${Array.isArray(rawId) ? 'an array' : typeof rawId}`);
      if (typeof obj.text !== 'string') throw new DataFileError(file, i + 1, 'missing "text"');
      id = String(rawId);
      text = [typeof obj.title === 'string' ? obj.title : '', obj.text].filter(Boolean).join(' ').trim();
    } else {
      const cols = line.split('\t');
      if (i === 0 && HEADER_IDS.has(cols[0]!.trim().toLowerCase())) return;
      if (cols.length < 2) throw new DataFileError(file, i + 1, 'expected id<TAB>text, found one column');
      id = cols[0]!.trim();
      text = (cols.length >= 3 ? `${cols[2]!.trim()} ${cols[1]!.trim()}` : cols[1]!).trim();
    }
    if (!id) throw new DataFileError(file, i + 1, 'empty id');
    if (!text) throw new DataFileError(file, i + 1, `empty text for id ${id}`);
    if (seen.has(id)) throw new DataFileError(file, i + 1, `duplicate id ${id}`);
    seen.add(id);
    out.push({ id, text });
  });
  if (!out.length) throw new Error(`${file}: no rows`);
  return out;
}

export function readQrels(file: string): Qrels {
  const qrels: Qrels = new Map();
  lines(file).forEach((line, i) => {
    if (!line.trim()) return;
    const cols = line.includes('\t') ? line.split('\t') : line.trim().split(/\s+/);
    let qid: string, docid: string, score: string;
    if (cols.length === 3) [qid, docid, score] = cols as [string, string, string];
    else if (cols.length === 4) [qid, , docid, score] = cols as [string, string, string, string];
    else throw new DataFileError(file, i + 1, `expected qid<TAB>docid<TAB>score (or TREC qid 0 docid score), found ${cols.length} column(s)`);
    const s = Number(score);
    if (!Number.isFinite(s) || score.trim() === '') {
      // only a row that names its columns is a header (query-id corpus-id score), never a bad first judgement
      if (i === 0 && /^(query|q)[-_ ]?id$/i.test(qid.trim()) && /id$/i.test(docid.trim()) && /score|relevance|label/i.test(score)) return;
      throw new DataFileError(file, i + 1, `score "${score}" is not a number`);
    }
    const q = qrels.get(qid.trim()) ?? new Map<string, number>();
    q.set(docid.trim(), s);
    qrels.set(qid.trim(), q);
  });
  if (!qrels.size) throw new Error(`${file}: no judgements`);
  return qrels;
}

/** TREC run: qid Q0 docid rank score tag (whitespace separated). Ranks are recomputed from scores. */
export function readTrecRun(file: string): Run {
  const run: Run = new Map();
  const seen = new Map<string, number>();
  lines(file).forEach((line, i) => {
    if (!line.trim()) return;
    const cols = line.trim().split(/\s+/);
    if (cols.length < 5) throw new DataFileError(file, i + 1, `expected "qid Q0 docid rank score [tag]", found ${cols.length} field(s)`);
    const score = Number(cols[4]);
    if (!Number.isFinite(score)) throw new DataFileError(file, i + 1, `score "${cols[4]}" is not a number`);
    const key = `${cols[0]}\u0000${cols[2]}`;
    const first = seen.get(key);
    if (first !== undefined) throw new DataFileError(file, i + 1, `query ${cols[0]} lists document ${cols[2]} again (first on line ${first}); trec_eval refuses duplicates`);
    seen.set(key, i + 1);
    const list = run.get(cols[0]!) ?? [];
    list.push({ id: cols[2]!, score });
    run.set(cols[0]!, list);
  });
  if (!run.size) throw new Error(`${file}: empty run (no "qid Q0 docid rank score tag" lines)`);
  return run;
}

/** A run as TREC lines, documents in the order given; scores keep 9 significant digits (fused RRF scores differ in the 5th). */
export function formatTrecRun(run: Run, tag = 'inbatch'): string {
  let out = '';
  for (const [qid, docs] of run) docs.forEach((d, r) => { out += `${qid} Q0 ${d.id} ${r + 1} ${d.score.toPrecision(9)} ${tag}\n`; });
  return out;
}
