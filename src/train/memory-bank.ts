// Negatives beyond the batch at constant memory (XBM, Wang et al. 2020; ContAccum, NeurIPS 2024):
// the last N title embeddings of earlier steps, kept as a ring of typed arrays and given to the loss
// as extra negative columns without gradient (inbatch-negatives.ts). With workers every rank pushes
// the gathered global titles, so the banks stay identical. Entries go in at the end of each step;
// the loss uses them once `warmup` steps have passed (early embeddings move too fast to be useful).
// Checkpointed in memory_bank.safetensors (vectors, oldest first; keys in the metadata: 53-bit hashes
// do not fit a float32).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as T from '../torch/index.js';
import type { ProcessGroup, Tensor } from '../torch/index.js';
import { readSafetensors, writeSafetensors } from '../weights/safetensors.js';

export const BANK_FILE = 'memory_bank.safetensors';

export class MemoryBank {
  private readonly vectors: Float32Array;
  private readonly keys: Float64Array;
  /** next slot to write */
  private head = 0;
  size = 0;

  constructor(readonly capacity: number, readonly dim: number) {
    this.vectors = new Float32Array(capacity * dim);
    this.keys = new Float64Array(capacity);
  }

  get bytes(): number { return this.vectors.byteLength + this.keys.byteLength; }

  /** Appends rows (row-major [n, dim]); the oldest entries make room. */
  push(rows: Float32Array, keys: Float64Array): void {
    const n = keys.length;
    if (rows.length !== n * this.dim) throw new Error(`memory bank: ${rows.length} values for ${n} rows of ${this.dim}`);
    for (let i = Math.max(0, n - this.capacity); i < n; i++) {
      this.vectors.set(rows.subarray(i * this.dim, (i + 1) * this.dim), this.head * this.dim);
      this.keys[this.head] = keys[i]!;
      this.head = (this.head + 1) % this.capacity;
      this.size = Math.min(this.capacity, this.size + 1);
    }
  }

  /** The entries, oldest first. */
  contents(): { vectors: Float32Array; keys: Float64Array } {
    const start = this.size < this.capacity ? 0 : this.head;
    const vectors = new Float32Array(this.size * this.dim);
    const keys = new Float64Array(this.size);
    for (let i = 0; i < this.size; i++) {
      const slot = (start + i) % this.capacity;
      vectors.set(this.vectors.subarray(slot * this.dim, (slot + 1) * this.dim), i * this.dim);
      keys[i] = this.keys[slot]!;
    }
    return { vectors, keys };
  }

  /** The entries as the loss takes them, in the model's dtype. */
  negatives(dtype: 'float32' | 'float64'): { embeddings: Tensor; keys: Float64Array } {
    const { vectors, keys } = this.contents();
    const embeddings = T.fromData(dtype === 'float64' ? Float64Array.from(vectors) : vectors, [this.size, this.dim]);
    return { embeddings, keys };
  }

  /** Writes the entries into a checkpoint folder (nothing while empty). */
  save(dir: string): void {
    if (this.size === 0) return;
    const { vectors, keys } = this.contents();
    writeSafetensors(join(dir, BANK_FILE), new Map([['vectors', { shape: [this.size, this.dim], data: () => vectors }]]),
      { capacity: String(this.capacity), keys: JSON.stringify(Array.from(keys)) });
  }

  /** Restores the entries a checkpoint holds (a checkpoint without a bank file leaves it empty). */
  restore(dir: string): void {
    this.head = this.size = 0;
    const path = join(dir, BANK_FILE);
    if (!existsSync(path)) return;
    const { tensors, metadata } = readSafetensors(path);
    const v = tensors.get('vectors');
    const keys = JSON.parse(metadata.keys ?? '[]') as unknown;
    if (!v || v.shape[1] !== this.dim || !Array.isArray(keys) || keys.length !== v.shape[0] || !keys.every((k) => typeof k === 'number')) {
      throw new Error(`${path}: not a memory bank of dimension ${this.dim}`);
    }
    this.push(v.data, Float64Array.from(keys as number[]));
  }

  /** Rank 0's bank on every rank (a resumed run's checkpoint may be on rank 0's machine only). */
  syncWithLead(group: ProcessGroup): void {
    const size = T.fromData(Float64Array.from([this.size]), [1]);
    group.broadcast_(size, 0);
    const n = T.item(size);
    const mine = n === this.size ? this.contents() : { vectors: new Float32Array(n * this.dim), keys: new Float64Array(n) };
    this.head = this.size = 0;
    if (n === 0) return;
    const v = T.fromData(mine.vectors, [n, this.dim]);
    const k = T.fromData(mine.keys, [n]);
    group.broadcast_(v, 0);
    group.broadcast_(k, 0);
    this.push(T.toData(v) as Float32Array, T.toData(k) as Float64Array);
  }
}
