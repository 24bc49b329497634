// An index's recall contract: how much of the exact float32 top-k it returns, measured on sample
// queries when it is built (and again by `inbatch index verify`):
//   recall@k = mean over queries q of |found_k(q) ∩ exact_k(q)| / k
// Pseudo-queries are corpus vectors themselves, with the text's own id left out of both lists (it
// would be a free hit); held-out queries are used as they are. The interval is the mean ± 1.96
// standard errors over the queries.
import { Random } from '../util/random.js';
import type { FloatRows } from './quantized.js';
import { TopK, type Hit } from './topk.js';

export interface SampleQueries {
  vectors: Float32Array[];
  /** per query, the corpus id to leave out (pseudo-queries), or -1 */
  exclude: number[];
  source: string;
}

export interface RecallContract {
  k: number;
  queries: number;
  source: string;
  recall: number;
  low: number;
  high: number;
  /** what the index searched with when it was measured (oversample, ef) */
  setting: Record<string, number>;
}

/** Distinct ids sampled from [0, size), sorted, reproducibly. */
export function sampleIds(size: number, count: number, seed = 13): number[] {
  const random = new Random(seed);
  const chosen = new Set<number>();
  while (chosen.size < Math.min(count, size)) chosen.add(Math.floor(random.next() * size));
  return [...chosen].sort((a, b) => a - b);
}

export function pseudoQueries(floats: FloatRows, count: number, seed = 13): SampleQueries {
  const ids = sampleIds(floats.rows, count, seed);
  return { vectors: ids.map((id) => floats.read(id, 1)), exclude: ids, source: `${ids.length} corpus vectors as pseudo-queries (own text left out)` };
}

/** The exact top k + 1 per query by a streamed scan of the float vectors (the +1 absorbs a left-out id). */
export function exactTopK(floats: FloatRows, queries: SampleQueries, k: number, block = 4096): Hit[][] {
  const { cols } = floats;
  const heaps = queries.vectors.map(() => new TopK(Math.min(k + 1, floats.rows), { ties: 'first-offered' }));
  for (let r = 0; r < floats.rows; r += block) {
    const n = Math.min(block, floats.rows - r);
    const data = floats.read(r, n);
    queries.vectors.forEach((q, qi) => {
      const heap = heaps[qi]!;
      for (let i = 0, base = 0; i < n; i++, base += cols) {
        let s0 = 0, s1 = 0, j = 0;
        for (; j + 1 < cols; j += 2) { s0 += q[j]! * data[base + j]!; s1 += q[j + 1]! * data[base + j + 1]!; }
        if (j < cols) s0 += q[j]! * data[base + j]!;
        const s = Math.fround(s0 + s1);
        if (s > heap.threshold) heap.push(r + i, s);
      }
    });
  }
  return heaps.map((h) => h.sorted());
}

function topIds(hits: readonly Hit[], exclude: number, k: number): number[] {
  return hits.filter((h) => h.id !== exclude).slice(0, k).map((h) => h.id);
}

/** Recall of the exact top k, with its interval. `found` lists must be at least k + 1 long where the corpus allows. */
export function measureRecall(truth: Hit[][], found: Hit[][], queries: SampleQueries, k: number): Omit<RecallContract, 'source' | 'setting'> {
  const per = truth.map((t, q) => {
    const exact = topIds(t, queries.exclude[q]!, k);
    if (!exact.length) return 1;
    const got = new Set(topIds(found[q] ?? [], queries.exclude[q]!, k));
    return exact.filter((id) => got.has(id)).length / exact.length;
  });
  const n = per.length;
  const mean = per.reduce((a, b) => a + b, 0) / Math.max(1, n);
  const sd = Math.sqrt(per.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, n - 1));
  const half = n > 1 ? 1.96 * sd / Math.sqrt(n) : 0;
  return { k, queries: n, recall: mean, low: Math.max(0, mean - half), high: Math.min(1, mean + half) };
}

/**
 * Tries the settings in order (cheapest first) until the measured recall reaches the target;
 * returns the first that does, or the last tried with met = false.
 */
export async function meetRecallTarget(settings: number[], target: number, measure: (setting: number) => Promise<Omit<RecallContract, 'source' | 'setting'>> | Omit<RecallContract, 'source' | 'setting'>):
  Promise<{ setting: number; result: Omit<RecallContract, 'source' | 'setting'>; met: boolean; tried: Array<[number, number]> }> {
  const tried: Array<[number, number]> = [];
  let last: { setting: number; result: Omit<RecallContract, 'source' | 'setting'> } | undefined;
  for (const setting of settings) {
    const result = await measure(setting);
    tried.push([setting, result.recall]);
    last = { setting, result };
    if (result.recall >= target) return { ...last, met: true, tried };
  }
  return { ...last!, met: false, tried };
}
