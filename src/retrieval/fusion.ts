// Reciprocal rank fusion (Cormack, Clarke & Büttcher, SIGIR 2009):
//   fused(d) = sum over lists r of weight_r / (k + rank_r(d))
// rank_r(d) counts from 1 in list r (best first), only over each list's top `depth`; a list that
// does not hold d adds nothing. Scores of the input lists are never compared, only their ranks,
// which is why cosine and BM25 lists fuse without calibration. Ties: smaller id first.
import { trecOrder, type Run } from '../eval/trec-metrics.js';
import type { Hit } from '../vectors/topk.js';

export interface FusionOptions {
  /** the constant k (60 in the paper); larger k flattens the advantage of top ranks */
  k: number;
  /** one weight per list (default 1 each) */
  weights?: readonly number[];
  /** ranks below this are ignored in every list (default: all) */
  depth?: number;
  /** fused items kept (default: all) */
  limit?: number;
}

export const DEFAULT_RRF_K = 60;

export function checkFusionOptions(o: FusionOptions, lists: number): void {
  if (!(Number.isFinite(o.k) && o.k >= 0)) throw new Error(`RRF k must be a number >= 0, got ${o.k}`);
  if (o.weights && o.weights.length !== lists) throw new Error(`${o.weights.length} weight(s) for ${lists} ranked list(s)`);
  if (o.weights?.some((w) => !(Number.isFinite(w) && w >= 0))) throw new Error(`fusion weights must be numbers >= 0, got ${o.weights.join(',')}`);
  if (o.weights && !o.weights.some((w) => w > 0)) throw new Error(`fusion weights ${o.weights.join(',')}: at least one must be above 0 (all 0 would rank by id)`);
}

/** Fuses ranked lists (each best first) into one, best first. */
export function reciprocalRankFusion<Id extends string | number>(lists: readonly (readonly Hit<Id>[])[], options: FusionOptions): Hit<Id>[] {
  checkFusionOptions(options, lists.length);
  const fused = new Map<Id, number>();
  lists.forEach((list, r) => {
    const weight = options.weights?.[r] ?? 1;
    const depth = Math.min(list.length, options.depth ?? list.length);
    for (let rank = 1; rank <= depth; rank++) {
      const id = list[rank - 1]!.id;
      fused.set(id, (fused.get(id) ?? 0) + weight / (options.k + rank));
    }
  });
  const out = [...fused].map(([id, score]) => ({ id, score }));
  out.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return options.limit === undefined ? out : out.slice(0, options.limit);
}

/**
 * Fuses TREC runs query by query. Each run's documents are ranked in trec_eval's order (score
 * descending, ties by document id descending); a query missing from a run gets nothing from it.
 */
export function fuseRuns(runs: readonly Run[], options: FusionOptions & { method?: 'rrf' | 'convex' }): Run {
  checkFusionOptions(options, runs.length);
  const fuse = options.method === 'convex' ? convexFusion : reciprocalRankFusion;
  const queries = new Set<string>();
  for (const run of runs) for (const q of run.keys()) queries.add(q);
  const out: Run = new Map();
  for (const q of [...queries].sort()) out.set(q, fuse(runs.map((run) => trecOrder(run.get(q) ?? [])), options));
  return out;
}

/**
 * Convex combination of min-max normalised scores (Fox & Shaw's CombSUM with per-query
 * normalisation, as Bruch et al. 2023 analyse it for hybrid retrieval):
 *   fused(d) = sum over lists r of weight_r * (score_r(d) - min_r) / (max_r - min_r)
 * over each list's top `depth`; a list that does not hold d adds 0. Ties: smaller id first.
 */
export function convexFusion<Id extends string | number>(lists: readonly (readonly Hit<Id>[])[], options: Omit<FusionOptions, 'k'>): Hit<Id>[] {
  checkFusionOptions({ k: 0, ...options }, lists.length);
  const fused = new Map<Id, number>();
  lists.forEach((list, r) => {
    const weight = options.weights?.[r] ?? 1;
    const depth = Math.min(list.length, options.depth ?? list.length);
    if (!depth) return;
    let lo = Infinity, hi = -Infinity;
    for (let i = 0; i < depth; i++) { lo = Math.min(lo, list[i]!.score); hi = Math.max(hi, list[i]!.score); }
    const span = hi - lo;
    for (let i = 0; i < depth; i++) {
      const { id, score } = list[i]!;
      fused.set(id, (fused.get(id) ?? 0) + weight * (span > 0 ? (score - lo) / span : 1));
    }
  });
  const out = [...fused].map(([id, score]) => ({ id, score }));
  out.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return options.limit === undefined ? out : out.slice(0, options.limit);
}
