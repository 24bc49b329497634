// How often each title text is drawn, for the logQ correction (inbatch-negatives.ts):
//   q(t) = count(t) / titles       count(t): rows whose positive or hard negative is t
// Counted exactly over the training data's text hashes before the first step (every worker counts
// the same data, so every rank corrects alike; nothing to checkpoint). Only log q differences within
// a row matter to the softmax, so q need not be scaled to "probability of being in a batch".
// An open-addressing table of typed arrays: 12 bytes per distinct title at most half full.
import type { TrainingSource } from '../data/training-source.js';
import { Progress } from '../util/progress.js';

const EMPTY = 0; // the hash of a missing text; never a title's

export class TitleFrequency {
  private keys: Float64Array;
  private counts: Uint32Array;
  private distinct = 0;
  /** titles counted (rows x title columns present) */
  total = 0;

  constructor(capacity = 1 << 16) {
    const size = 1 << Math.ceil(Math.log2(Math.max(16, capacity)));
    this.keys = new Float64Array(size);
    this.counts = new Uint32Array(size);
  }

  /** Counts the titles (columns 1...) of every row, in blocks of rows. */
  static ofData(data: TrainingSource, quiet = true): TitleFrequency {
    const freq = new TitleFrequency(Math.min(2 * data.rows, 1 << 20));
    const progress = new Progress('counting titles for --logq-correction', data.rows, 'rows', quiet);
    const block = 1 << 16;
    for (let start = 0; start < data.rows; start += block) {
      const n = Math.min(block, data.rows - start);
      const ids = new Uint32Array(n);
      for (let i = 0; i < n; i++) ids[i] = start + i;
      const { hashes } = data.keysOf(ids);
      for (let i = 0; i < n; i++) for (let c = 1; c < data.columns; c++) {
        const h = hashes[i * data.columns + c]!;
        if (h !== EMPTY) freq.add(h);
      }
      progress.update(start + n);
    }
    progress.done(data.rows, { titles: freq.total, distinct: freq.distinct });
    return freq;
  }

  get distinctTitles(): number { return this.distinct; }

  get bytes(): number { return this.keys.byteLength + this.counts.byteLength; }

  add(key: number, times = 1): void {
    if ((this.distinct + 1) * 2 > this.keys.length) this.grow();
    const slot = this.slotOf(key);
    if (this.keys[slot] === EMPTY) { this.keys[slot] = key; this.distinct++; }
    this.counts[slot]! += times;
    this.total += times;
  }

  count(key: number): number {
    const slot = this.slotOf(key);
    return this.keys[slot] === key ? this.counts[slot]! : 0;
  }

  /** log q of each key; a title never counted (not in this data) is taken as drawn once. */
  logQ(keys: Float64Array): Float64Array {
    const out = new Float64Array(keys.length);
    const logTotal = Math.log(Math.max(1, this.total));
    keys.forEach((k, i) => { out[i] = Math.log(Math.max(1, this.count(k))) - logTotal; });
    return out;
  }

  /** Linear probing from the key's low bits (the keys are already hashes). */
  private slotOf(key: number): number {
    const mask = this.keys.length - 1;
    let slot = (key % this.keys.length) & mask;
    while (this.keys[slot] !== EMPTY && this.keys[slot] !== key) slot = (slot + 1) & mask;
    return slot;
  }

  private grow(): void {
    const { keys, counts } = this;
    this.keys = new Float64Array(keys.length * 2);
    this.counts = new Uint32Array(keys.length * 2);
    keys.forEach((k, i) => { if (k !== EMPTY) { const slot = this.slotOf(k); this.keys[slot] = k; this.counts[slot] = counts[i]!; } });
  }
}
