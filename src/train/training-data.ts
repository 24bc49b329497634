// Training pairs held in memory as typed arrays (for the library, tests and the demo; large sets
// are prepared into shards on disk instead: data/prepared). Every text occurrence is tokenised once.
import type { TextPair } from '../data/pairs.js';
import { encodeRows } from '../data/prepared/encode-rows.js';
import { RowFingerprint, type RowKeys, type TrainingSource } from '../data/training-source.js';
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
    const rows = pairs.map((p) => (p.hardNegative === undefined ? [p.query, p.positive] : [p.query, p.positive, p.hardNegative]));
    const { columns, tokens, colLengths, hashes } = encodeRows(rows, tokenizer, maxSeqLength);
    const starts = new Float64Array(pairs.length);
    for (let r = 0, at = 0; r < pairs.length; r++) {
      starts[r] = at;
      for (let c = 0; c < columns; c++) at += colLengths[r * columns + c]!;
    }
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
