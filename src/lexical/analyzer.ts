// The BM25 analyzer: text -> terms, as code-point sequences.
//   1. NFKC (full-width letters and digits become ASCII, compatibility forms fold), then lower case.
//   2. Han, Hiragana and Katakana runs (Chinese/Japanese: no spaces between words) give every
//      character (unigram) and every pair of neighbouring characters (bigram), as CJK analyzers
//      in Lucene and Elasticsearch do.
//   3. Runs of other letters, digits and combining marks are words; with `wordBigrams` a word of
//      three or more letters also gives its letter bigrams (helps misspellings and compounds).
//   4. Everything else (spaces, punctuation, symbols) separates terms and is dropped.
// Terms are emitted into a reusable Uint32Array so that indexing a million texts allocates no strings.

export interface AnalyzerOptions {
  wordBigrams: boolean;
}

export const DEFAULT_ANALYZER: AnalyzerOptions = { wordBigrams: false };

/** Stable name of this analysis, saved with an index: an index is only searched with the analysis that built it. */
export const ANALYZER_NAME = 'nfkc-lower-cjk-unigram-bigram-v1';

const BIGRAM_MARK = 0x110000;
export const MAX_WORD = 255;
const SEPARATOR = 1, WORD = 2, CJK = 3;
const CJK_RE = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\u30FC]/u;
const WORD_RE = /[\p{L}\p{N}\p{M}]/u;

// code point -> class, filled on first sight (0: not seen yet)
const classes = new Uint8Array(0x110000);
function classOf(cp: number): number {
  let c = classes[cp]!;
  if (c === 0) {
    const ch = String.fromCodePoint(cp);
    c = CJK_RE.test(ch) ? CJK : WORD_RE.test(ch) ? WORD : SEPARATOR;
    classes[cp] = c;
  }
  return c;
}

/** Receives one term: codes[start, start + length). */
export type TermSink = (codes: Uint32Array, start: number, length: number) => void;

export class Analyzer {
  private codes = new Uint32Array(256);
  // a letter bigram starts with a marker outside Unicode, so it never equals a two-letter word
  private bigram = Uint32Array.of(BIGRAM_MARK, 0, 0);

  constructor(readonly options: AnalyzerOptions = DEFAULT_ANALYZER) {}

  /** Calls sink for every term of text, in order. */
  analyze(text: string, sink: TermSink): void {
    const normal = text.normalize('NFKC').toLowerCase();
    if (this.codes.length < normal.length) this.codes = new Uint32Array(normal.length * 2);
    const codes = this.codes;
    let n = 0;
    for (const ch of normal) codes[n++] = ch.codePointAt(0)!;
    let i = 0;
    while (i < n) {
      const c = classOf(codes[i]!);
      if (c === SEPARATOR) { i++; continue; }
      let end = i + 1;
      while (end < n && classOf(codes[end]!) === c) end++;
      if (c === CJK) this.cjkRun(codes, i, end, sink);
      else this.word(codes, i, end, sink);
      i = end;
    }
  }

  /** The terms of text as strings (tests, debugging, explaining a score). */
  terms(text: string): string[] {
    const out: string[] = [];
    this.analyze(text, (codes, start, length) => out.push(termString(codes.subarray(start, start + length))));
    return out;
  }

  private cjkRun(codes: Uint32Array, start: number, end: number, sink: TermSink): void {
    for (let i = start; i < end; i++) {
      sink(codes, i, 1);
      if (i + 1 < end) sink(codes, i, 2);
    }
  }

  private word(codes: Uint32Array, start: number, end: number, sink: TermSink): void {
    // a longer run is cut into words of MAX_WORD (Lucene's maxTokenLength), as Lucene does
    for (let at = start; at < end; at += MAX_WORD) sink(codes, at, Math.min(MAX_WORD, end - at));
    if (!this.options.wordBigrams || end - start < 3) return;
    const bigram = this.bigram;
    for (let i = start; i + 1 < end; i++) {
      bigram[1] = codes[i]!;
      bigram[2] = codes[i + 1]!;
      sink(bigram, 0, 3);
    }
  }
}

/** A term as text; a letter bigram is written with a leading '#'. */
export function termString(codes: Uint32Array): string {
  return codes[0] === BIGRAM_MARK ? '#' + String.fromCodePoint(...codes.subarray(1)) : String.fromCodePoint(...codes);
}
