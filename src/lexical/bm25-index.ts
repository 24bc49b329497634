// Okapi BM25 over a corpus, with Lucene's non-negative idf:
//   idf(t)      = ln(1 + (N - n(t) + 0.5) / (n(t) + 0.5))          N documents, n(t) containing t
//   score(q, d) = sum over query terms t (each occurrence) of
//                 idf(t) · tf(t,d) · (k1 + 1) / (tf(t,d) + k1 · (1 - b + b · |d| / avgdl))
// |d| is the number of terms the analyzer gives for d (unigrams and bigrams both count) and avgdl
// its mean over the corpus; lengths are exact (Lucene rounds them to one byte). The (k1 + 1) factor
// of the original formula, dropped by Lucene 8+, scales every score alike and changes no ranking.
//
// Search is exact, term at a time: every posting of every query term is added into one score per
// document. When the postings are many against the corpus (common Chinese characters), documents are
// taken in blocks of 32k: every term's postings into the block (its scores stay in cache), then the block
// is scanned for the top k, instead of tracking which documents were touched. (Dynamic pruning -- MaxScore, early termination -- was tried and measured slower here: a
// Chinese query is ~15 unigrams + ~14 bigrams, and the unigrams' bounds add up to more than the k-th
// score until the last term, so nothing is ever skipped.)
//
// The inverted index is five typed arrays: the vocabulary (TermTable), per term the start of its
// postings, and per posting the document id (ascending) and term frequency; plus each document's length.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeDirAtomic } from '../util/atomic.js';
import { Analyzer, ANALYZER_NAME, DEFAULT_ANALYZER, type AnalyzerOptions } from './analyzer.js';
import { grow } from './grow.js';
import { TermTable } from './term-table.js';
import { readJsonObject } from '../util/json-file.js';
import { TopK, type Hit } from '../vectors/topk.js';

export interface Bm25Params {
  k1: number;
  b: number;
}

export const DEFAULT_BM25: Bm25Params = { k1: 1.2, b: 0.75 };

const META_FILE = 'bm25.json';
const FORMAT = 'inbatch-bm25';
const MAX_TF = 0xffff;

export function checkBm25Params(p: Bm25Params, where = 'bm25'): void {
  if (!(Number.isFinite(p.k1) && p.k1 >= 0 && p.k1 <= 100)) throw new Error(`${where}: k1 must be in [0, 100], got ${p.k1}`);
  if (!(Number.isFinite(p.b) && p.b >= 0 && p.b <= 1)) throw new Error(`${where}: b must be in [0, 1], got ${p.b}`);
}

/** Adds documents one by one (streamed corpora), then finish() sorts them into postings. */
export class Bm25Builder {
  readonly analyzer: Analyzer;
  private terms = new TermTable(1 << 14);
  // per document: its distinct terms' (id, tf), end to end, and how many it has and its length
  private entryTerm = new Uint32Array(1 << 16);
  private entryTf = new Uint16Array(1 << 16);
  private entries = 0;
  private docEntries = new Uint32Array(1 << 12);
  private docLength = new Uint32Array(1 << 12);
  private docs = 0;
  private scratch = new Int32Array(256);
  private scratchSize = 0;
  private readonly collect = (codes: Uint32Array, start: number, length: number) => {
    if (this.scratchSize === this.scratch.length) this.scratch = grow(this.scratch, this.scratchSize * 2);
    this.scratch[this.scratchSize++] = this.terms.intern(codes, start, length);
  };

  constructor(analyzer: AnalyzerOptions = DEFAULT_ANALYZER) {
    this.analyzer = new Analyzer(analyzer);
  }

  get size(): number { return this.docs; }

  /** Adds one document; returns its id (0, 1, ... in the order added). */
  add(text: string): number {
    this.scratchSize = 0;
    this.analyzer.analyze(text, this.collect);
    const ids = this.scratch.subarray(0, this.scratchSize).sort();
    if (this.entries + ids.length > this.entryTerm.length) {
      this.entryTerm = grow(this.entryTerm, this.entries + ids.length);
      this.entryTf = grow(this.entryTf, this.entryTerm.length);
    }
    let distinct = 0;
    for (let i = 0; i < ids.length;) {
      let j = i + 1;
      while (j < ids.length && ids[j] === ids[i]) j++;
      this.entryTerm[this.entries] = ids[i]!;
      this.entryTf[this.entries] = Math.min(j - i, MAX_TF);
      this.entries++;
      distinct++;
      i = j;
    }
    if (this.docs === this.docEntries.length) {
      this.docEntries = grow(this.docEntries, this.docs * 2);
      this.docLength = grow(this.docLength, this.docs * 2);
    }
    this.docEntries[this.docs] = distinct;
    this.docLength[this.docs] = ids.length;
    return this.docs++;
  }

  /** The index: postings sorted by term, document ids ascending within a term. */
  finish(params: Bm25Params = DEFAULT_BM25): Bm25Index {
    const termCount = this.terms.size;
    const start = new Float64Array(termCount + 1);
    for (let e = 0; e < this.entries; e++) start[this.entryTerm[e]! + 1]!++;
    for (let t = 0; t < termCount; t++) start[t + 1]! += start[t]!;
    const docs = new Uint32Array(this.entries);
    const tfs = new Uint16Array(this.entries);
    const next = start.slice(0, termCount);
    let e = 0;
    for (let d = 0; d < this.docs; d++) {
      for (let end = e + this.docEntries[d]!; e < end; e++) {
        const p = next[this.entryTerm[e]!]!++;
        docs[p] = d;
        tfs[p] = this.entryTf[e]!;
      }
    }
    const index = new Bm25Index(this.terms, start, docs, tfs, this.docLength.slice(0, this.docs), params, this.analyzer.options);
    this.entryTerm = new Uint32Array(0);
    this.entryTf = new Uint16Array(0);
    return index;
  }
}

export class Bm25Index {
  private readonly analyzer: Analyzer;
  private readonly impacts: Float32Array;
  private readonly avgLength: number;
  private scores?: Float64Array;
  private touched = new Uint32Array(1024);
  private queryTerms = new Int32Array(64);

  constructor(
    private readonly terms: TermTable,
    /** per term: where its postings start (termCount + 1 entries) */
    private readonly postingStart: Float64Array,
    private readonly postingDoc: Uint32Array,
    private readonly postingTf: Uint16Array,
    private readonly docLength: Uint32Array,
    readonly params: Bm25Params = DEFAULT_BM25,
    readonly analyzerOptions: AnalyzerOptions = DEFAULT_ANALYZER,
  ) {
    checkBm25Params(params);
    this.analyzer = new Analyzer(analyzerOptions);
    let total = 0;
    for (let d = 0; d < docLength.length; d++) total += docLength[d]!;
    this.avgLength = docLength.length ? total / docLength.length : 0;
    // the document-dependent factor of each posting, computed once: search is then one multiply-add per posting
    const { k1, b } = params;
    this.impacts = new Float32Array(postingDoc.length);
    const norm = this.avgLength > 0 ? b / this.avgLength : 0;
    for (let p = 0; p < postingDoc.length; p++) {
      const tf = postingTf[p]!;
      this.impacts[p] = (tf * (k1 + 1)) / (tf + k1 * (1 - b + norm * docLength[postingDoc[p]!]!));
    }
  }

  /** Builds an index over texts held in memory. */
  static build(texts: Iterable<string>, params: Bm25Params = DEFAULT_BM25, analyzer: AnalyzerOptions = DEFAULT_ANALYZER): Bm25Index {
    const builder = new Bm25Builder(analyzer);
    for (const t of texts) builder.add(t);
    return builder.finish(params);
  }

  get size(): number { return this.docLength.length; }
  get termCount(): number { return this.terms.size; }
  get postingCount(): number { return this.postingDoc.length; }
  get averageLength(): number { return this.avgLength; }

  /** Lucene's idf of a term given as text (0 when no document has it). */
  idf(term: string): number {
    const codes = Uint32Array.from(term, (c) => c.codePointAt(0)!);
    const t = this.terms.find(codes, 0, codes.length);
    return t < 0 ? 0 : this.idfOf(t);
  }

  /** The k best documents per query, best first (ties: smaller id first); documents sharing no term are never returned. */
  search(queries: string[], k: number): Hit[][] {
    return queries.map((q) => this.searchOne(q, k));
  }

  searchOne(query: string, k: number): Hit[] {
    const n = this.size;
    const scores = (this.scores ??= new Float64Array(n));
    let count = 0;
    this.analyzer.analyze(query, (codes, start, length) => {
      const t = this.terms.find(codes, start, length);
      if (t < 0) return;
      if (count === this.queryTerms.length) this.queryTerms = grow(this.queryTerms, count * 2);
      this.queryTerms[count++] = t;
    });
    // distinct terms, each weighted by idf times how often the query has it
    const ids = this.queryTerms.subarray(0, count).sort();
    const starts = this.postingStart, docs = this.postingDoc, impacts = this.impacts;
    const cursor: number[] = [], end: number[] = [], weight: number[] = [];
    let postings = 0;
    for (let i = 0; i < count;) {
      let j = i + 1;
      while (j < count && ids[j] === ids[i]) j++;
      const t = ids[i]!;
      cursor.push(starts[t]!); end.push(starts[t + 1]!); weight.push((j - i) * this.idfOf(t));
      postings += starts[t + 1]! - starts[t]!;
      i = j;
    }
    const top = new TopK(k, { floor: 0 });
    if (postings * 8 > n) {
      // Many postings against the corpus (common Chinese characters): documents are taken a block at a
      // time, every term's postings of the block added (its scores stay in cache), then the block scanned.
      for (let lo = 0; lo < n; lo += SCORE_BLOCK) {
        const hi = Math.min(n, lo + SCORE_BLOCK);
        for (let u = 0; u < cursor.length; u++) {
          const w = weight[u]!, e = end[u]!;
          let p = cursor[u]!;
          for (; p < e; p++) {
            const d = docs[p]!;
            if (d >= hi) break;
            scores[d]! += w * impacts[p]!;
          }
          cursor[u] = p;
        }
        for (let d = lo; d < hi; d++) if (scores[d]! > top.threshold) top.push(d, scores[d]!);
        scores.fill(0, lo, hi);
      }
      return top.sorted();
    }
    // Few: only the documents touched are remembered, offered and reset.
    let touched = 0;
    let track = this.touched;
    for (let u = 0; u < cursor.length; u++) {
      const w = weight[u]!;
      for (let p = cursor[u]!, e = end[u]!; p < e; p++) {
        const d = docs[p]!;
        if (scores[d] === 0) {
          if (touched === track.length) track = this.touched = grow(track, touched * 2);
          track[touched++] = d;
        }
        scores[d]! += w * impacts[p]!;
      }
    }
    for (let i = 0; i < touched; i++) top.push(track[i]!, scores[track[i]!]!);
    const hits = top.sorted();
    for (let i = 0; i < touched; i++) scores[track[i]!] = 0;
    return hits;
  }

  private idfOf(t: number): number {
    const n = this.postingStart[t + 1]! - this.postingStart[t]!;
    return Math.log(1 + (this.size - n + 0.5) / (n + 0.5));
  }

  /** Writes the index into dir (replaced atomically). */
  save(dir: string): void {
    writeDirAtomic(dir, (tmp) => {
      const { codes, offsets } = this.terms.toArrays();
      const parts = { 'term-codes.u32': codes, 'term-offsets.f64': offsets, 'posting-start.f64': this.postingStart, 'posting-doc.u32': this.postingDoc, 'posting-tf.u16': this.postingTf, 'doc-length.u32': this.docLength };
      for (const [name, array] of Object.entries(parts)) writeFileSync(join(tmp, name), new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
      writeFileSync(join(tmp, META_FILE), JSON.stringify({
        format: FORMAT, version: 1, analyzer: ANALYZER_NAME, analyzer_options: this.analyzerOptions, k1: this.params.k1, b: this.params.b,
        documents: this.size, terms: this.termCount, postings: this.postingCount, endianness: 'little',
      }, null, 1));
    });
  }

  /**
   * Opens a folder written by save(), checking every array against the others (sizes, offsets,
   * document ids, lengths) before use. params override the saved k1 and b.
   */
  static load(dir: string, params?: Partial<Bm25Params>): Bm25Index {
    const metaPath = join(dir, META_FILE);
    const meta = readJsonObject(metaPath);
    const bad = (what: string) => new Error(`${dir}: ${what}`);
    if (meta.format !== FORMAT || meta.version !== 1) throw bad(`not an ${FORMAT} v1 index (format ${JSON.stringify(meta.format)}, version ${JSON.stringify(meta.version)})`);
    if (meta.analyzer !== ANALYZER_NAME) throw bad(`built with analyzer ${JSON.stringify(meta.analyzer)}, this inbatch has ${ANALYZER_NAME}: rebuild it`);
    const count = (key: string) => {
      const v = meta[key];
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw bad(`${META_FILE}: "${key}" must be a non-negative integer`);
      return v;
    };
    const documents = count('documents'), termCount = count('terms'), postings = count('postings');
    const analyzerOptions = meta.analyzer_options as AnalyzerOptions | undefined;
    if (typeof analyzerOptions?.wordBigrams !== 'boolean') throw bad(`${META_FILE}: "analyzer_options.wordBigrams" must be a boolean`);
    const read = <T>(name: string, Type: { new (b: ArrayBuffer): T; BYTES_PER_ELEMENT: number }, length: number): T => {
      const buf = readFileSync(join(dir, name));
      if (buf.length !== length * Type.BYTES_PER_ELEMENT) throw bad(`${name} has ${buf.length} bytes, ${length} entries need ${length * Type.BYTES_PER_ELEMENT}`);
      return new Type(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length) as ArrayBuffer);
    };
    const offsets = read('term-offsets.f64', Float64Array, termCount + 1);
    const codes = read('term-codes.u32', Uint32Array, offsets[termCount] ?? 0);
    const start = read('posting-start.f64', Float64Array, termCount + 1);
    const docs = read('posting-doc.u32', Uint32Array, postings);
    const tfs = read('posting-tf.u16', Uint16Array, postings);
    const lengths = read('doc-length.u32', Uint32Array, documents);
    const terms = TermTable.fromArrays(codes, offsets, dir);
    checkPostings(start, docs, tfs, lengths, dir);
    const merged = { k1: Number(meta.k1), b: Number(meta.b), ...params };
    checkBm25Params(merged, metaPath);
    return new Bm25Index(terms, start, docs, tfs, lengths, merged, analyzerOptions);
  }
}

function checkPostings(start: Float64Array, docs: Uint32Array, tfs: Uint16Array, lengths: Uint32Array, dir: string): void {
  const terms = start.length - 1;
  if (start[0] !== 0 || start[terms] !== docs.length) throw new Error(`${dir}: posting starts do not cover the ${docs.length} postings`);
  const sums = new Float64Array(lengths.length);
  for (let t = 0; t < terms; t++) {
    const s = start[t]!, e = start[t + 1]!;
    if (!Number.isInteger(s) || !(e > s)) throw new Error(`${dir}: term ${t} has no postings or a bad extent [${s}, ${e})`);
    for (let p = s; p < e; p++) {
      const d = docs[p]!;
      if (d >= lengths.length || (p > s && d <= docs[p - 1]!)) throw new Error(`${dir}: term ${t} lists document ${d} out of order or out of range (${lengths.length} documents)`);
      if (tfs[p] === 0) throw new Error(`${dir}: term ${t} has a zero term frequency for document ${d}`);
      sums[d]! += tfs[p]!;
    }
  }
  // a document's length is the sum of its term frequencies, unless one was capped at MAX_TF
  for (let d = 0; d < lengths.length; d++) {
    if (sums[d]! > lengths[d]! || (sums[d]! < lengths[d]! && sums[d]! < MAX_TF)) throw new Error(`${dir}: document ${d} has length ${lengths[d]} but its postings add up to ${sums[d]}`);
  }
}

/** Documents of the scores' block size (256 KiB of float64): what one pass over the postings adds into. */
const SCORE_BLOCK = 1 << 15;

