import { createHash } from 'node:crypto';
// Training rows as the trainer and the sampler see them, whatever holds them (memory or prepared
// shards on disk): row r has `columns` texts (query, positive, then hard negatives; a missing one
// has length 0), each a list of token ids ([CLS] ... [SEP]) and a 53-bit hash of its text.
// Nothing here is one JS object per row: callers ask for the rows of one pool or one batch.

export interface RowKeys {
  /** rows x columns text hashes (0 for a missing text) */
  hashes: Float64Array;
  /** per row, the longest of its texts in tokens */
  lengths: Uint16Array;
}

export interface TrainingSource {
  readonly rows: number;
  readonly columns: number;
  /** what identifies the data (a checkpoint resumes only on the same) */
  readonly fingerprint: string;
  keysOf(rowIds: Uint32Array): RowKeys;
  /** token ids of each row's texts, column by column (an empty array for a missing text) */
  tokensOf(rowIds: Uint32Array): Uint32Array[][];
}

/** cyrb53 (public domain): a fast 53-bit string hash, exact in a float64. Equal texts, equal hashes. */
export function textHash(text: string, seed = 0): number {
  let h1 = 0xdeadbeef ^ seed, h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0) || 1; // 0 marks a missing text
}

/**
 * The data fingerprint: sha256 over each row's present texts (hash and token count) and a row
 * separator. In-memory data and prepared shards of the same rows give the same fingerprint.
 */
export class RowFingerprint {
  private readonly hash = createHash('sha256');

  /** Adds `count` rows whose hashes and token counts are laid out `columns` per row. */
  add(hashes: Float64Array, colLengths: Uint16Array, columns: number, count: number): void {
    const buf = Buffer.alloc(count * (columns * 10 + 2));
    let at = 0;
    for (let r = 0; r < count; r++) {
      for (let c = 0; c < columns; c++) {
        const len = colLengths[r * columns + c]!;
        if (!len) continue;
        buf.writeDoubleLE(hashes[r * columns + c]!, at);
        buf.writeUInt16LE(len, at + 8);
        at += 10;
      }
      buf.writeUInt16LE(0xffff, at);
      at += 2;
    }
    this.hash.update(buf.subarray(0, at));
  }

  digest(rows: number): string {
    return `${rows}:${this.hash.digest('hex').slice(0, 16)}`;
  }
}
