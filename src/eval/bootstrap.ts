// Paired bootstrap of a difference between two systems on the same queries (Efron & Tibshirani
// 1993; Sakai 2006 for IR): the queries are resampled with replacement R times (seeded), each
// resample's mean of d_q = b_q - a_q is recorded, and the 95 % interval is the 2.5th and 97.5th
// percentiles of those means. A difference whose interval includes 0 is not significant.
import { Random } from '../util/random.js';

export interface BootstrapOptions {
  resamples: number;
  seed: number;
  /** coverage of the interval (0.95) */
  confidence: number;
}

export const DEFAULT_BOOTSTRAP: BootstrapOptions = { resamples: 2000, seed: 1, confidence: 0.95 };

export interface PairedDifference {
  /** mean of b - a over the queries */
  difference: number;
  low: number;
  high: number;
  /** the interval excludes 0 */
  significant: boolean;
}

export function pairedBootstrap(a: ArrayLike<number>, b: ArrayLike<number>, o: BootstrapOptions = DEFAULT_BOOTSTRAP): PairedDifference {
  const n = a.length;
  if (n !== b.length) throw new Error(`paired bootstrap: ${n} scores against ${b.length}`);
  if (n === 0) throw new Error('paired bootstrap: no queries');
  if (!(Number.isInteger(o.resamples) && o.resamples >= 1000)) throw new RangeError(`resamples must be an integer >= 1000, got ${o.resamples}`);
  if (!(o.confidence > 0 && o.confidence < 1)) throw new RangeError(`confidence must be in (0, 1), got ${o.confidence}`);
  const d = new Float64Array(n);
  let sum = 0;
  for (let q = 0; q < n; q++) { d[q] = b[q]! - a[q]!; sum += d[q]!; }
  const random = new Random(o.seed);
  const means = new Float64Array(o.resamples);
  for (let r = 0; r < o.resamples; r++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += d[Math.floor(random.next() * n)]!;
    means[r] = s / n;
  }
  means.sort();
  const tail = (1 - o.confidence) / 2;
  const low = percentile(means, tail), high = percentile(means, 1 - tail);
  return { difference: sum / n, low, high, significant: low > 0 || high < 0 };
}

/** The p-th quantile of sorted values, interpolated linearly between ranks (numpy's default). */
export function percentile(sorted: Float64Array, p: number): number {
  const at = p * (sorted.length - 1);
  const lo = Math.floor(at), hi = Math.ceil(at);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (at - lo);
}
