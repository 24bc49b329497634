// Negatives beyond the batch at constant memory (XBM, Wang et al. 2020; ContAccum, NeurIPS 2024):
// the last N title embeddings of earlier steps, kept as a ring of typed arrays and given to the loss
// as extra negative columns without gradient (inbatch-negatives.ts). A dual bank (ContAccum) keeps
// each entry's query too: the loss gets N more rows, so this step's titles are pushed away from earlier
// queries as this step's queries are from earlier titles (a titles-only bank gives the query side many
// more negatives than the title side: ContAccum's gradient-norm imbalance). A dual bank holds the
// (query, positive) pairs only; hard negatives stay in their step. With workers every rank pushes the
// gathered global batch, so the banks stay identical. Entries go in at the end of each step; the loss
// uses them once `warmup` steps have passed (early embeddings move too fast to be useful).
// Checkpointed in memory_bank.safetensors (vectors and queries, oldest first; keys in the metadata:
// 53-bit hashes do not fit a float32).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as T from '../torch/index.js';
import type { ProcessGroup, Tensor } from '../torch/index.js';
import { readSafetensors, writeSafetensors } from '../weights/safetensors.js';

export const BANK_FILE = 'memory_bank.safetensors';

/** Bank entries, oldest first: titles [n, dim] with their keys, and (dual bank) their queries. */
export interface BankEntries {
  vectors: Float32Array;
  keys: Float64Array;
  queries?: Float32Array;
  queryKeys?: Float64Array;
}

export class MemoryBank {
  private readonly vectors: Float32Array;
  private readonly keys: Float64Array;
  private readonly queries: Float32Array | undefined;
  private readonly queryKeys: Float64Array | undefined;
  /** next slot to write */
  private head = 0;
  size = 0;

  /** @param dual  keep each entry's query too (ContAccum's dual bank) */
  constructor(readonly capacity: number, readonly dim: number, readonly dual = false) {
    this.vectors = new Float32Array(capacity * dim);
    this.keys = new Float64Array(capacity);
    if (dual) {
      this.queries = new Float32Array(capacity * dim);
      this.queryKeys = new Float64Array(capacity);
    }
  }

  get bytes(): number { return (this.vectors.byteLength + this.keys.byteLength) * (this.dual ? 2 : 1); }

  /** Appends entries (row-major [n, dim]; a dual bank needs their queries); the oldest make room. */
  push(e: BankEntries): void {
    const n = e.keys.length, d = this.dim;
    if (e.vectors.length !== n * d) throw new Error(`memory bank: ${e.vectors.length} values for ${n} rows of ${d}`);
    if (this.dual && (e.queries?.length !== n * d || e.queryKeys?.length !== n)) throw new Error(`memory bank: a dual bank needs ${n} queries of ${d}`);
    for (let i = Math.max(0, n - this.capacity); i < n; i++) {
      this.vectors.set(e.vectors.subarray(i * d, (i + 1) * d), this.head * d);
      this.keys[this.head] = e.keys[i]!;
      if (this.queries) {
        this.queries.set(e.queries!.subarray(i * d, (i + 1) * d), this.head * d);
        this.queryKeys![this.head] = e.queryKeys![i]!;
      }
      this.head = (this.head + 1) % this.capacity;
      this.size = Math.min(this.capacity, this.size + 1);
    }
  }

  /** The entries, oldest first. */
  contents(): BankEntries {
    const start = this.size < this.capacity ? 0 : this.head;
    const d = this.dim;
    const out: BankEntries = { vectors: new Float32Array(this.size * d), keys: new Float64Array(this.size) };
    if (this.queries) Object.assign(out, { queries: new Float32Array(this.size * d), queryKeys: new Float64Array(this.size) });
    for (let i = 0; i < this.size; i++) {
      const slot = (start + i) % this.capacity;
      out.vectors.set(this.vectors.subarray(slot * d, (slot + 1) * d), i * d);
      out.keys[i] = this.keys[slot]!;
      if (this.queries) {
        out.queries!.set(this.queries.subarray(slot * d, (slot + 1) * d), i * d);
        out.queryKeys![i] = this.queryKeys![slot]!;
      }
    }
    return out;
  }

  /** The entries as the loss takes them, in the model's dtype. */
  negatives(dtype: 'float32' | 'float64'): { embeddings: Tensor; keys: Float64Array; queries?: Tensor; queryKeys?: Float64Array } {
    const c = this.contents();
    const tensor = (v: Float32Array) => T.fromData(dtype === 'float64' ? Float64Array.from(v) : v, [this.size, this.dim]);
    return { embeddings: tensor(c.vectors), keys: c.keys, ...(c.queries ? { queries: tensor(c.queries), queryKeys: c.queryKeys } : {}) };
  }

  /** Writes the entries into a checkpoint folder (nothing while empty). */
  save(dir: string): void {
    if (this.size === 0) return;
    const c = this.contents();
    const tensors = new Map([['vectors', { shape: [this.size, this.dim], data: () => c.vectors }]]);
    if (c.queries) tensors.set('queries', { shape: [this.size, this.dim], data: () => c.queries! });
    writeSafetensors(join(dir, BANK_FILE), tensors,
      { capacity: String(this.capacity), keys: JSON.stringify(Array.from(c.keys)), ...(c.queryKeys ? { query_keys: JSON.stringify(Array.from(c.queryKeys)) } : {}) });
  }

  /** Restores the entries a checkpoint holds (a checkpoint without a bank file leaves it empty). */
  restore(dir: string): void {
    this.head = this.size = 0;
    const path = join(dir, BANK_FILE);
    if (!existsSync(path)) return;
    const { tensors, metadata } = readSafetensors(path);
    const v = tensors.get('vectors'), q = tensors.get('queries');
    const keys = numberList(metadata.keys), queryKeys = numberList(metadata.query_keys);
    const n = v?.shape[0];
    const ok = v && v.shape[1] === this.dim && keys?.length === n &&
      (!this.dual || (q && q.shape[0] === n && q.shape[1] === this.dim && queryKeys?.length === n));
    if (!ok) throw new Error(`${path}: not a${this.dual ? ' dual' : ''} memory bank of dimension ${this.dim}`);
    this.push({ vectors: v.data, keys: keys!, ...(this.dual ? { queries: q!.data, queryKeys: queryKeys! } : {}) });
  }

  /** Rank 0's bank on every rank (a resumed run's checkpoint may be on rank 0's machine only). */
  syncWithLead(group: ProcessGroup): void {
    const size = T.fromData(Float64Array.from([this.size]), [1]);
    group.broadcast_(size, 0);
    const n = T.item(size);
    const d = this.dim;
    const mine = n === this.size ? this.contents()
      : { vectors: new Float32Array(n * d), keys: new Float64Array(n), ...(this.dual ? { queries: new Float32Array(n * d), queryKeys: new Float64Array(n) } : {}) };
    this.head = this.size = 0;
    if (n === 0) return;
    const shared = (x: Float32Array | Float64Array, shape: number[]) => {
      const t = T.fromData(x, shape);
      group.broadcast_(t, 0);
      return T.toData(t);
    };
    this.push({
      vectors: shared(mine.vectors, [n, d]) as Float32Array, keys: shared(mine.keys, [n]) as Float64Array,
      ...(this.dual ? { queries: shared(mine.queries!, [n, d]) as Float32Array, queryKeys: shared(mine.queryKeys!, [n]) as Float64Array } : {}),
    });
  }
}

function numberList(json: string | undefined): Float64Array | undefined {
  if (json === undefined) return undefined;
  const v = JSON.parse(json) as unknown;
  return Array.isArray(v) && v.every((k) => typeof k === 'number') ? Float64Array.from(v as number[]) : undefined;
}
