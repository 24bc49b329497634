// Batches for in-batch negatives. Every other title in a batch is a negative, so a text that
// appears twice in one batch would be a false negative: rows that would repeat a text (by hash)
// are deferred to a later batch, or dropped at the end of the epoch.
//
// An epoch is planned lazily, pool by pool, from (seed, epoch) alone: the row order is a shuffled
// Uint32Array; each pool of ~50 batches' rows is sorted by length (length grouping), cut into
// batches without duplicates, and its batches are shuffled. Only the pool's keys are ever read.
import type { TrainingSource } from '../data/training-source.js';
import { Random } from '../util/random.js';

export interface SamplerOptions {
  batchSize: number;
  seed: number;
  /** sort pools of ~poolBatches batches by length so padding is small, then shuffle those batches */
  groupByLength: boolean;
  poolBatches?: number;
}

export interface SamplerReport {
  /** rows moved to a later batch because their text was already in the current one */
  deferred: number;
  /** rows left over at the end of the epoch that could not be placed without a duplicate */
  dropped: number;
}

export class EpochSampler {
  readonly report: SamplerReport = { deferred: 0, dropped: 0 };
  private readonly rng: Random;
  private readonly order: Uint32Array;
  private readonly poolSize: number;
  private start = 0;
  private carry: number[] = [];
  private ready: Uint32Array[] = [];
  private finished = false;

  constructor(private readonly source: TrainingSource, private readonly options: SamplerOptions, readonly epoch: number) {
    this.rng = new Random(options.seed * 1000003 + epoch);
    this.order = new Uint32Array(source.rows);
    for (let i = 0; i < this.order.length; i++) this.order[i] = i;
    for (let i = this.order.length - 1; i > 0; i--) {
      const j = Math.floor(this.rng.next() * (i + 1));
      const t = this.order[i]!; this.order[i] = this.order[j]!; this.order[j] = t;
    }
    // without length grouping the whole epoch is one pool, as a plain shuffle
    this.poolSize = options.groupByLength ? options.batchSize * (options.poolBatches ?? 50) : Math.max(1, source.rows);
  }

  /** The next batch's row ids, or undefined at the end of the epoch. */
  next(): Uint32Array | undefined {
    while (!this.ready.length && !this.finished) this.planPool();
    return this.ready.shift();
  }

  /** Skips n batches (a resumed run continues where its checkpoint stopped). */
  skip(n: number): void {
    for (let i = 0; i < n; i++) if (!this.next()) throw new Error(`epoch ${this.epoch} has fewer than ${n} batches`);
  }

  private planPool(): void {
    const { batchSize } = this.options;
    const end = Math.min(this.order.length, this.start + this.poolSize);
    const pool = Uint32Array.from([...this.carry, ...this.order.subarray(this.start, end)]);
    this.start = end;
    const last = end >= this.order.length;
    const keys = this.source.keysOf(pool);
    const C = this.source.columns;
    let idx = Array.from(pool.keys());
    if (this.options.groupByLength) idx.sort((a, b) => keys.lengths[a]! - keys.lengths[b]! || a - b);
    const batches: number[][] = [];
    for (;;) {
      const next: number[] = [];
      let batch: number[] = [];
      let seen = new Set<number>();
      for (const i of idx) {
        const h = keys.hashes.subarray(i * C, i * C + C);
        if (h.some((x) => x !== 0 && seen.has(x))) {
          next.push(i);
          this.report.deferred++;
          continue;
        }
        batch.push(i);
        for (const x of h) if (x !== 0) seen.add(x);
        if (batch.length === batchSize) {
          batches.push(batch);
          batch = [];
          seen = new Set();
        }
      }
      if (!last) {
        // the open batch and the deferred rows wait for the next pool
        this.carry = [...batch, ...next].map((i) => pool[i]!);
        break;
      }
      // the end of the epoch: partial batches too (a lone row has no negatives: dropped), until every row is placed
      if (batch.length >= 2) batches.push(batch);
      else this.report.dropped += batch.length;
      if (!next.length) break;
      idx = next;
    }
    const planned = batches.map((b) => Uint32Array.from(b, (i) => pool[i]!));
    this.ready = this.options.groupByLength ? this.rng.shuffle(planned) : planned;
    if (last) this.finished = true;
  }
}

/** Every batch of an epoch at once (tests and benchmarks; training draws them one by one). */
export function planEpoch(source: TrainingSource, options: SamplerOptions, epoch: number): { batches: Uint32Array[]; report: SamplerReport } {
  const sampler = new EpochSampler(source, options, epoch);
  const batches: Uint32Array[] = [];
  for (let b = sampler.next(); b; b = sampler.next()) batches.push(b);
  return { batches, report: sampler.report };
}
