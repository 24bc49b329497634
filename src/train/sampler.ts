// Batches for in-batch negatives. Every other title in a batch is a negative,
// so a text that appears twice in one batch would be a false negative: rows
// that would repeat a text are deferred to a later batch (or dropped at the end).
import { Random } from '../util/random.js';

export interface SamplerOptions {
  batchSize: number;
  seed: number;
  /** sort pools of ~poolBatches batches by length so padding is small, then shuffle the batches */
  groupByLength: boolean;
  poolBatches?: number;
}

export interface SamplerReport {
  /** rows moved to a later batch because their text was already in the current one */
  deferred: number;
  /** rows left over that could not be placed without a duplicate */
  dropped: number;
}

export interface EpochPlan {
  batches: number[][];
  report: SamplerReport;
}

/**
 * Plans one epoch: a list of batches of row indices. Deterministic in (seed, epoch).
 * @param keys the texts of each row that must be unique within a batch
 * @param lengths a length per row (tokens), used for grouping
 */
export function planEpoch(keys: string[][], lengths: number[], options: SamplerOptions, epoch: number): EpochPlan {
  const rng = new Random(options.seed * 1000003 + epoch);
  const order = rng.shuffle(keys.map((_, i) => i));
  const report: SamplerReport = { deferred: 0, dropped: 0 };
  const poolSize = options.groupByLength ? options.batchSize * (options.poolBatches ?? 50) : order.length;
  let batches: number[][] = [];
  let carry: number[] = [];
  for (let start = 0; start < order.length || carry.length; start += poolSize) {
    const pool = carry.concat(order.slice(start, start + poolSize));
    if (options.groupByLength) pool.sort((a, b) => lengths[a]! - lengths[b]!);
    const last = start + poolSize >= order.length;
    const { full, rest } = fillBatches(pool, keys, options.batchSize, report);
    batches.push(...full);
    carry = rest;
    if (last) {
      if (carry.length) {
        const tail = fillBatches(carry, keys, options.batchSize, report, true);
        batches.push(...tail.full);
        report.dropped += tail.rest.length;
      }
      break;
    }
  }
  if (options.groupByLength) batches = rng.shuffle(batches);
  return { batches, report };
}

/** Greedy fill: a row whose texts clash with the open batch waits for the next one. */
function fillBatches(pool: number[], keys: string[][], batchSize: number, report: SamplerReport, flushPartial = false) {
  const full: number[][] = [];
  let waiting = pool;
  for (;;) {
    const next: number[] = [];
    let batch: number[] = [];
    let seen = new Set<string>();
    for (const row of waiting) {
      const texts = keys[row]!;
      if (texts.some((t) => seen.has(t))) {
        next.push(row);
        report.deferred++;
        continue;
      }
      batch.push(row);
      for (const t of texts) seen.add(t);
      if (batch.length === batchSize) {
        full.push(batch);
        batch = [];
        seen = new Set();
      }
    }
    // rows of the open (partial) batch go back to wait with the deferred ones
    const rest = batch.concat(next);
    if (!flushPartial) return { full, rest };
    if (batch.length) full.push(batch);
    if (next.length === 0 || next.length === waiting.length) return { full, rest: next.length === waiting.length ? next : [] };
    waiting = next;
  }
}
