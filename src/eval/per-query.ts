// Per-query scores: what a comparison with confidence intervals needs. One file per system and
// data set: the query ids in order and, per metric, one value per query (trec metrics from
// `mteb`/`evaluate-run`, or PaddleNLP hits from `evaluate`: success_at_N is 1 when the gold text
// is in the top N, else 0, in percent units to match the averaged tables).
//   {"format": "inbatch-per-query", "version": 1, "name": ..., "queries": [...], "scores": {metric: [...]}}
import { queryMetrics, trecOrder, MTEB_CUTOFFS, type Qrels, type Run } from './trec-metrics.js';

export const PER_QUERY_FORMAT = 'inbatch-per-query';

export interface PerQueryScores {
  format: typeof PER_QUERY_FORMAT;
  version: 1;
  /** the system's name (shown by compare) */
  name: string;
  queries: string[];
  scores: Record<string, number[]>;
}

/** trec metrics of every judged query of a run (the queries evaluateRun averages over). */
export function perQueryTrec(name: string, run: Run, qrels: Qrels, cutoffs = MTEB_CUTOFFS): PerQueryScores {
  const queries: string[] = [];
  const scores: Record<string, number[]> = {};
  for (const [qid, judged] of qrels) {
    if (![...judged.values()].some((s) => s > 0)) continue;
    queries.push(qid);
    for (const [metric, v] of Object.entries(queryMetrics(trecOrder(run.get(qid) ?? []), judged, cutoffs))) (scores[metric] ??= []).push(v);
  }
  return { format: PER_QUERY_FORMAT, version: 1, name, queries, scores };
}

/** PaddleNLP hits per query: 100 when the gold text is in the top N, else 0 (their mean is success@N in percent). */
export function perQuerySuccess(name: string, queryIds: string[], gold: Set<string>[], recalled: string[][], cutoffs: number[]): PerQueryScores {
  const scores: Record<string, number[]> = {};
  for (const n of cutoffs) scores[`success_at_${n}`] = [];
  gold.forEach((g, q) => {
    const rank = recalled[q]!.findIndex((t) => g.has(t));
    for (const n of cutoffs) scores[`success_at_${n}`]!.push(rank >= 0 && rank < n ? 100 : 0);
  });
  return { format: PER_QUERY_FORMAT, version: 1, name, queries: queryIds, scores };
}

/** Checks a parsed per-query file (from outside): shapes, lengths, finite values. */
export function checkPerQuery(json: Record<string, unknown>, file: string): PerQueryScores {
  if (json.format !== PER_QUERY_FORMAT || json.version !== 1) throw new Error(`${file}: not an ${PER_QUERY_FORMAT} v1 file`);
  const { queries, scores } = json;
  if (!Array.isArray(queries) || !queries.every((q) => typeof q === 'string')) throw new Error(`${file}: "queries" must be a list of query ids`);
  if (new Set(queries).size !== queries.length) throw new Error(`${file}: a query id is listed twice`);
  if (typeof scores !== 'object' || scores === null || Array.isArray(scores)) throw new Error(`${file}: "scores" must map metrics to lists`);
  for (const [metric, values] of Object.entries(scores)) {
    if (!Array.isArray(values) || values.length !== queries.length || !values.every((v) => typeof v === 'number' && Number.isFinite(v))) {
      throw new Error(`${file}: scores.${metric} must hold ${queries.length} finite numbers`);
    }
  }
  return { format: PER_QUERY_FORMAT, version: 1, name: String(json.name ?? file), queries: queries as string[], scores: scores as Record<string, number[]> };
}
