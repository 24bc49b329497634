import { createHash } from 'node:crypto';
// BERT WordPiece tokenization, matching Hugging Face BertTokenizer:
// clean text -> split CJK characters -> lowercase + strip accents ->
// whitespace and punctuation split -> greedy longest-match WordPiece.

export interface BertTokenizerOptions {
  lowercase: boolean;
  stripAccents: boolean;
  handleChineseChars: boolean;
  unkToken: string;
  clsToken: string;
  sepToken: string;
  padToken: string;
  continuingSubwordPrefix: string;
  maxInputCharsPerWord: number;
}

export const DEFAULT_TOKENIZER_OPTIONS: BertTokenizerOptions = {
  lowercase: true,
  stripAccents: true,
  handleChineseChars: true,
  unkToken: '[UNK]',
  clsToken: '[CLS]',
  sepToken: '[SEP]',
  padToken: '[PAD]',
  continuingSubwordPrefix: '##',
  maxInputCharsPerWord: 100,
};

export interface Encoding {
  inputIds: number[];
  tokenTypeIds: number[];
  attentionMask: number[];
}

// Character classes, as BERT's BasicTokenizer defines them; memoised for the BMP because the
// Unicode property tests are the slowest part of tokenising.
const WHITESPACE = 1, CONTROL = 2, PUNCTUATION = 4, KNOWN = 128;
const bmpClass = new Uint8Array(0x10000);

function classify(cp: number): number {
  let c = 0;
  const ch = String.fromCodePoint(cp);
  if (cp === 0x20 || cp === 0x09 || cp === 0x0a || cp === 0x0d || /\p{Zs}/u.test(ch)) c |= WHITESPACE;
  else if (/\p{Cc}|\p{Cf}/u.test(ch)) c |= CONTROL;
  if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126) || /\p{P}/u.test(ch)) c |= PUNCTUATION;
  return c;
}

function charClass(cp: number): number {
  if (cp >= 0x10000) return classify(cp);
  let c = bmpClass[cp]!;
  if (!(c & KNOWN)) bmpClass[cp] = c = classify(cp) | KNOWN;
  return c;
}

const isWhitespace = (cp: number) => (charClass(cp) & WHITESPACE) !== 0;
const isControl = (cp: number) => (charClass(cp) & CONTROL) !== 0;
const isPunctuation = (cp: number) => (charClass(cp) & PUNCTUATION) !== 0;

/** Text that NFD leaves as it is: ASCII, Latin-1 symbols, CJK punctuation and ideographs, full-width forms. */
const NFD_STABLE = /^[\u0000-\u00bf\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]*$/;

function isChineseChar(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0x3400 && cp <= 0x4dbf) || (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) || (cp >= 0x2b740 && cp <= 0x2b81f) || (cp >= 0x2b820 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}

export class BertTokenizer {
  readonly options: BertTokenizerOptions;
  readonly vocab: Map<string, number>;
  readonly idToToken: string[];
  readonly unkId: number;
  readonly clsId: number;
  readonly sepId: number;
  readonly padId: number;

  constructor(vocab: Map<string, number>, options: Partial<BertTokenizerOptions> = {}) {
    this.options = { ...DEFAULT_TOKENIZER_OPTIONS, ...options };
    this.vocab = vocab;
    this.idToToken = [];
    for (const [tok, id] of vocab) this.idToToken[id] = tok;
    const need = (t: string) => {
      const id = vocab.get(t);
      if (id === undefined) throw new Error(`vocabulary has no ${t} token`);
      return id;
    };
    this.unkId = need(this.options.unkToken);
    this.clsId = need(this.options.clsToken);
    this.sepId = need(this.options.sepToken);
    this.padId = need(this.options.padToken);
  }

  get vocabSize(): number { return this.idToToken.length; }

  private longestPieceCache = 0;
  /** Code points of the vocabulary's longest token, its ## prefix left out. */
  private get longestPiece(): number {
    if (!this.longestPieceCache) {
      const prefix = this.options.continuingSubwordPrefix;
      let most = 1;
      for (const token of this.vocab.keys()) most = Math.max(most, Array.from(token.startsWith(prefix) ? token.slice(prefix.length) : token).length);
      this.longestPieceCache = most;
    }
    return this.longestPieceCache;
  }

  /** Splits text into words the way BERT's BasicTokenizer does. */
  basicTokenize(text: string): string[] {
    let cleaned = '';
    for (const ch of text) {
      const cp = ch.codePointAt(0)!;
      if (cp === 0 || cp === 0xfffd || isControl(cp)) continue;
      if (isWhitespace(cp)) cleaned += ' ';
      else if (this.options.handleChineseChars && isChineseChar(cp)) cleaned += ` ${ch} `;
      else cleaned += ch;
    }
    const words: string[] = [];
    for (let word of cleaned.split(' ')) {
      if (!word) continue;
      if (this.options.lowercase) word = word.toLowerCase();
      if (this.options.stripAccents && !NFD_STABLE.test(word)) word = word.normalize('NFD').replace(/\p{Mn}/gu, '');
      let current = '';
      for (const ch of word) {
        if (isPunctuation(ch.codePointAt(0)!)) {
          if (current) words.push(current);
          words.push(ch);
          current = '';
        } else current += ch;
      }
      if (current) words.push(current);
    }
    return words;
  }

  /** Greedy longest-match-first WordPiece of one word. */
  wordPiece(word: string): string[] {
    // most words (every CJK character) are in the vocabulary whole
    if (word.length <= this.options.maxInputCharsPerWord && this.vocab.has(word)) return [word];
    const chars = Array.from(word);
    if (chars.length > this.options.maxInputCharsPerWord) return [this.options.unkToken];
    const pieces: string[] = [];
    let start = 0;
    const longest = this.longestPiece;
    while (start < chars.length) {
      // no piece is longer than the vocabulary's longest token: longer candidates cannot match
      let end = Math.min(chars.length, start + longest);
      let found: string | undefined;
      while (start < end) {
        let sub = chars.slice(start, end).join('');
        if (start > 0) sub = this.options.continuingSubwordPrefix + sub;
        if (this.vocab.has(sub)) { found = sub; break; }
        end--;
      }
      if (found === undefined) return [this.options.unkToken];
      pieces.push(found);
      start = end;
    }
    return pieces;
  }

  tokenize(text: string): string[] {
    return this.basicTokenize(text).flatMap((w) => this.wordPiece(w));
  }

  /**
   * `[CLS] text [SEP]`, truncated to maxLength tokens in all: the text's first tokens are kept, or with
   * `keep: 'last'` its last ones (TEI's truncation_direction: left).
   */
  encode(text: string, maxLength: number, keep: 'first' | 'last' = 'first'): Encoding {
    if (maxLength < 2) throw new Error(`max_seq_length must be at least 2, got ${maxLength}`);
    // Only maxLength - 2 tokens are kept, and a token never spans more than a word of
    // maxInputCharsPerWord characters and a separator: the rest of a huge text is cut before the
    // (per-word quadratic) WordPiece pass, so one hostile request cannot stall a server.
    const limit = maxLength * (this.options.maxInputCharsPerWord + 1);
    if (text.length > limit) text = keep === 'first' ? text.slice(0, limit) : text.slice(text.length - limit);
    const ids: number[] = [];
    if (keep === 'first') {
      // words are split into pieces only until the kept tokens are there
      for (const word of this.basicTokenize(text)) {
        if (ids.length >= maxLength - 2) break;
        for (const piece of this.wordPiece(word)) ids.push(this.vocab.get(piece) ?? this.unkId);
      }
      if (ids.length > maxLength - 2) ids.length = maxLength - 2;
    } else {
      const words = this.basicTokenize(text);
      const pieces: number[][] = [];
      for (let w = words.length - 1, n = 0; w >= 0 && n < maxLength - 2; w--) {
        const word = this.wordPiece(words[w]!).map((p) => this.vocab.get(p) ?? this.unkId);
        pieces.push(word);
        n += word.length;
      }
      for (let w = pieces.length - 1; w >= 0; w--) ids.push(...pieces[w]!);
      if (ids.length > maxLength - 2) ids.splice(0, ids.length - (maxLength - 2));
    }
    const inputIds = [this.clsId, ...ids, this.sepId];
    return { inputIds, tokenTypeIds: new Array(inputIds.length).fill(0), attentionMask: new Array(inputIds.length).fill(1) };
  }

  /**
   * The text's tokens with where each came from: UTF-8 byte offsets [start, stop) into the text (as TEI's
   * /tokenize gives them). Offsets follow each original character through cleaning, lowercasing and
   * accent stripping; a word whose per-character form differs from its whole-word form (a context-dependent
   * lowercase) gets null offsets rather than wrong ones. The tokens are always tokenize()'s.
   */
  tokenizeWithOffsets(text: string): { token: string; start: number | null; stop: number | null }[] {
    const out: { token: string; start: number | null; stop: number | null }[] = [];
    // each kept character: its normalised form and its byte span in the text
    type Char = { norm: string; start: number; stop: number };
    let word: Char[] = [];
    const flushWord = () => {
      if (!word.length) return;
      // split at punctuation, as basicTokenize does after normalising
      let part: Char[] = [];
      const parts: Char[][] = [];
      for (const c of word) {
        if (c.norm.length && isPunctuation(c.norm.codePointAt(0)!) && Array.from(c.norm).length === 1) {
          if (part.length) parts.push(part);
          parts.push([c]);
          part = [];
        } else if (c.norm.length) part.push(c);
      }
      if (part.length) parts.push(part);
      for (const p of parts) this.piecesWithOffsets(p, out);
      word = [];
    };
    let byte = 0;
    for (const ch of text) {
      const cp = ch.codePointAt(0)!;
      const start = byte;
      byte += Buffer.byteLength(ch);
      if (cp === 0 || cp === 0xfffd || isControl(cp)) continue;
      if (isWhitespace(cp)) { flushWord(); continue; }
      if (this.options.handleChineseChars && isChineseChar(cp)) {
        flushWord();
        word = [{ norm: this.normalise(ch), start, stop: byte }];
        flushWord();
        continue;
      }
      word.push({ norm: this.normalise(ch), start, stop: byte });
    }
    flushWord();
    // the tokens are tokenize()'s whatever happened above; offsets only where both agree
    const tokens = this.tokenize(text);
    if (tokens.length !== out.length || tokens.some((t, i) => t !== out[i]!.token)) return tokens.map((token) => ({ token, start: null, stop: null }));
    return out;
  }

  private normalise(s: string): string {
    let w = this.options.lowercase ? s.toLowerCase() : s;
    if (this.options.stripAccents && !NFD_STABLE.test(w)) w = w.normalize('NFD').replace(/\p{Mn}/gu, '');
    return w;
  }

  private piecesWithOffsets(chars: { norm: string; start: number; stop: number }[], out: { token: string; start: number | null; stop: number | null }[]): void {
    const joined = chars.map((c) => c.norm).join('');
    const words = this.basicTokenize(joined);
    if (words.length !== 1 || words[0] !== joined) {
      for (const w of words) for (const piece of this.wordPiece(w)) out.push({ token: piece, start: null, stop: null });
      return;
    }
    // normalised code point i comes from chars[owner[i]]
    const owner: number[] = [];
    chars.forEach((c, i) => { for (const _ of c.norm) owner.push(i); });
    const prefix = this.options.continuingSubwordPrefix;
    let at = 0;
    for (const piece of this.wordPiece(joined)) {
      if (piece === this.options.unkToken && !this.vocab.has(joined)) {
        out.push({ token: piece, start: chars[0]!.start, stop: chars.at(-1)!.stop });
        return;
      }
      const length = Array.from(piece.startsWith(prefix) && at > 0 ? piece.slice(prefix.length) : piece).length;
      out.push({ token: piece, start: chars[owner[at]!]!.start, stop: chars[owner[at + length - 1]!]!.stop });
      at += length;
    }
  }

  /**
   * Token ids back to text, as Hugging Face's BERT decoder: tokens joined by spaces, `##` pieces glued to
   * the one before, and the space before punctuation and contractions removed; special tokens left out
   * unless asked for.
   */
  decodeText(ids: readonly number[], skipSpecialTokens = true): string {
    const special = new Set([this.clsId, this.sepId, this.padId]);
    const prefix = this.options.continuingSubwordPrefix;
    let text = '';
    for (const id of ids) {
      if (skipSpecialTokens && special.has(id)) continue;
      const token = this.idToToken[id] ?? this.options.unkToken;
      text += token.startsWith(prefix) ? token.slice(prefix.length) : (text ? ' ' : '') + token;
    }
    return text.replace(/ \./g, '.').replace(/ \?/g, '?').replace(/ !/g, '!').replace(/ ,/g, ',').replace(/ ' /g, "'")
      .replace(/ n't/g, "n't").replace(/ 'm/g, "'m").replace(/ 's/g, "'s").replace(/ 've/g, "'ve").replace(/ 're/g, "'re");
  }

  /** Identifies vocabulary and options: data tokenised by another tokenizer is refused. */
  get fingerprint(): string {
    const hash = createHash('sha256');
    for (const token of this.idToToken) hash.update(token).update('\n');
    hash.update(JSON.stringify(this.options));
    return `wordpiece-${this.vocabSize}-${hash.digest('hex').slice(0, 16)}`;
  }

  decode(ids: number[]): string[] {
    return ids.map((id) => this.idToToken[id] ?? this.options.unkToken);
  }
}
