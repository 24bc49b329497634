// Ranking metrics with trec_eval's definitions (as pytrec_eval and MTEB report them):
//   P@k      = relevant in top k / k
//   recall@k = relevant in top k / all relevant
//   MAP@k    = sum over relevant docs in top k of P@rank, divided by all relevant (map_cut)
//   MRR@k    = 1 / rank of the first relevant doc within k, else 0
//   nDCG@k   = DCG@k / IDCG@k with gain = qrels score and discount log2(rank + 1) (ndcg_cut)
// A document is relevant when its qrels score is > 0. Queries with no relevant
// document are left out of the averages (trec_eval skips queries it has no judgements for)
// and counted separately.
import type { Hit } from '../vectors/topk.js';

export const MTEB_CUTOFFS = [1, 3, 5, 10, 100, 1000];

export type Qrels = Map<string, Map<string, number>>;
/** A run: each query's ranked documents (ids are document ids). */
export type Run = Map<string, Hit<string>[]>;

export interface TrecScores {
  /** e.g. ndcg_at_10, map_at_10, mrr_at_10, precision_at_10, recall_at_10 */
  metrics: Record<string, number>;
  queriesEvaluated: number;
  queriesWithoutRelevant: number;
}

/** trec_eval's order: score descending, ties broken by document id descending. */
export function trecOrder(docs: Hit<string>[]): Hit<string>[] {
  return [...docs].sort((a, b) => b.score - a.score || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
}

export function queryMetrics(ranked: Hit<string>[], judged: Map<string, number>, cutoffs = MTEB_CUTOFFS): Record<string, number> {
  const relevantTotal = [...judged.values()].filter((s) => s > 0).length;
  const ideal = [...judged.values()].filter((s) => s > 0).sort((a, b) => b - a);
  const out: Record<string, number> = {};
  for (const k of cutoffs) {
    let found = 0, dcg = 0, apSum = 0, rr = 0;
    ranked.slice(0, k).forEach((doc, i) => {
      const gain = judged.get(doc.id) ?? 0;
      if (gain <= 0) return;
      found++;
      dcg += gain / Math.log2(i + 2);
      apSum += found / (i + 1);
      if (rr === 0) rr = 1 / (i + 1);
    });
    let idcg = 0;
    ideal.slice(0, k).forEach((g, i) => { idcg += g / Math.log2(i + 2); });
    out[`ndcg_at_${k}`] = idcg > 0 ? dcg / idcg : 0;
    out[`map_at_${k}`] = apSum / relevantTotal;
    out[`mrr_at_${k}`] = rr;
    out[`precision_at_${k}`] = found / k;
    out[`recall_at_${k}`] = found / relevantTotal;
  }
  return out;
}

export function evaluateRun(run: Run, qrels: Qrels, cutoffs = MTEB_CUTOFFS): TrecScores {
  const sums: Record<string, number> = {};
  let evaluated = 0, without = 0;
  for (const [qid, judged] of qrels) {
    if (![...judged.values()].some((s) => s > 0)) { without++; continue; }
    const m = queryMetrics(trecOrder(run.get(qid) ?? []), judged, cutoffs);
    for (const [name, v] of Object.entries(m)) sums[name] = (sums[name] ?? 0) + v;
    evaluated++;
  }
  const metrics: Record<string, number> = {};
  for (const [name, v] of Object.entries(sums)) metrics[name] = evaluated ? v / evaluated : 0;
  return { metrics, queriesEvaluated: evaluated, queriesWithoutRelevant: without };
}
