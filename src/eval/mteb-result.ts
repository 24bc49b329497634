// MTEB-shaped retrieval results: {"mteb_dataset_name": ..., "dev": {"ndcg_at_10": ..., "evaluation_time": ...}}.
// trec metrics (recall_at_k is a fraction) sit beside PaddleNLP's hit rate under
// "paddle_recall_pct": {"success_at_N": percent}.
import { MTEB_CUTOFFS, evaluateRun, type Qrels, type Run, type TrecScores } from './trec-metrics.js';
import { PADDLE_CUTOFFS, successJson } from './success-at-n.js';

export interface MtebResult {
  mteb_dataset_name: string;
  model_name: string;
  dataset_revision: null;
  mteb_version: string;
  [split: string]: unknown;
}

/** Share of queries (in %) with at least one relevant document in the top N of a run: PaddleNLP's Recall@N. */
export function runSuccessPct(run: Run, qrels: Qrels, cutoffs = PADDLE_CUTOFFS): Record<number, number> {
  const hits: Record<number, number> = {};
  let counted = 0;
  for (const [qid, judged] of qrels) {
    if (![...judged.values()].some((s) => s > 0)) continue;
    counted++;
    const ranked = run.get(qid) ?? [];
    const first = ranked.findIndex((d) => (judged.get(d.id) ?? 0) > 0);
    for (const n of cutoffs) if (first >= 0 && first < n) hits[n] = (hits[n] ?? 0) + 1;
  }
  const out: Record<number, number> = {};
  for (const n of cutoffs) out[n] = counted ? (100 * (hits[n] ?? 0)) / counted : 0;
  return out;
}

export function mtebResult(taskName: string, modelName: string, split: string, run: Run, qrels: Qrels, evaluationSeconds: number): { result: MtebResult; scores: TrecScores } {
  const scores = evaluateRun(run, qrels, MTEB_CUTOFFS);
  const result: MtebResult = {
    mteb_dataset_name: taskName,
    model_name: modelName,
    dataset_revision: null,
    mteb_version: 'inbatch',
    [split]: {
      ...scores.metrics,
      evaluation_time: Number(evaluationSeconds.toFixed(2)),
      queries_evaluated: scores.queriesEvaluated,
      queries_without_relevant: scores.queriesWithoutRelevant,
      paddle_recall_pct: successJson(runSuccessPct(run, qrels)),
    },
  };
  return { result, scores };
}
