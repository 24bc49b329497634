// Training pairs held in memory as typed arrays (for the library, tests and the demo; large sets
// are prepared into shards on disk instead: data/prepared). Every text occurrence is tokenised once.
import type { TextPair } from '../data/pairs.js';
import { RowFingerprint, textHash, type RowKeys, type TrainingSource } from '../data/training-source.js';
import type { BertTokenizer } from '../text/bert-tokenizer.js';

export class InMemoryTrainingData implements TrainingSource {
  readonly fingerprint: string;

  private constructor(
    readonly rows: number,
    readonly columns: number,
    private readonly tokens: Uint32Array,
    /** per row, the index of its first token */
    private readonly starts: Float64Array,
    /** rows x columns token counts (0: no such text) */
    private readonly colLengths: Uint16Array,
    private readonly hashes: Float64Array,
  ) {
    const fp = new RowFingerprint();
    fp.add(hashes, colLengths, columns, rows);
    this.fingerprint = fp.digest(rows);
  }

  static fromPairs(pairs: TextPair[], tokenizer: BertTokenizer, maxSeqLength: number): InMemoryTrainingData {
    const columns = pairs.some((p) => p.hardNegative !== undefined) ? 3 : 2;
    const colLengths = new Uint16Array(pairs.length * columns);
    const hashes = new Float64Array(pairs.length * columns);
    const starts = new Float64Array(pairs.length);
    const parts: number[][] = [];
    let total = 0;
    pairs.forEach((p, r) => {
      starts[r] = total;
      [p.query, p.positive, p.hardNegative].slice(0, columns).forEach((text, c) => {
        if (text === undefined) return;
        const ids = tokenizer.encode(text, maxSeqLength).inputIds;
        parts.push(ids);
        colLengths[r * columns + c] = ids.length;
        hashes[r * columns + c] = textHash(text);
        total += ids.length;
      });
    });
    const tokens = new Uint32Array(total);
    let at = 0;
    for (const ids of parts) { tokens.set(ids, at); at += ids.length; }
    return new InMemoryTrainingData(pairs.length, columns, tokens, starts, colLengths, hashes);
  }

  keysOf(rowIds: Uint32Array): RowKeys {
    const C = this.columns;
    const hashes = new Float64Array(rowIds.length * C);
    const lengths = new Uint16Array(rowIds.length);
    rowIds.forEach((row, i) => {
      hashes.set(this.hashes.subarray(row * C, row * C + C), i * C);
      lengths[i] = Math.max(...this.colLengths.subarray(row * C, row * C + C));
    });
    return { hashes, lengths };
  }

  tokensOf(rowIds: Uint32Array): Uint32Array[][] {
    const C = this.columns;
    return Array.from(rowIds, (row) => {
      let at = this.starts[row]!;
      return Array.from({ length: C }, (_, c) => {
        const len = this.colLengths[row * C + c]!;
        const ids = this.tokens.subarray(at, at + len);
        at += len;
        return ids;
      });
    });
  }
}

/** Kept for callers of the earlier API: in-memory training data from pairs. */
export function prepareTrainingData(pairs: TextPair[], tokenizer: BertTokenizer, maxSeqLength: number): InMemoryTrainingData {
  return InMemoryTrainingData.fromPairs(pairs, tokenizer, maxSeqLength);
}
