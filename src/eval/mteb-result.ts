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

/**
 * mteb's current TaskResult (mteb >= 1.12): scores per split as a list of subsets, main_score =
 * ndcg_at_10. mteb_version is null: inbatch computed these, not the mteb package (its loader
 * accepts null where "inbatch" was refused). inbatch's own extras go to a sidecar file.
 */
export interface TaskResult {
  dataset_revision: string | null;
  task_name: string;
  mteb_version: string | null;
  scores: Record<string, { hf_subset: string; languages: string[]; main_score: number; [metric: string]: unknown }[]>;
  evaluation_time: number;
  kg_co2_emissions: null;
}

export interface TaskResultFiles {
  result: TaskResult;
  /** inbatch's extras: PaddleNLP hit rates, query counts, who made it */
  sidecar: Record<string, unknown>;
  /** results/<model>/<revision>/ as mteb lays it out ("/" in a model name becomes "__") */
  folder: string[];
  modelMeta: Record<string, unknown>;
}

export function taskResult(o: { taskName: string; modelName: string; revision?: string; split: string; languages: string[]; run: Run; qrels: Qrels; evaluationSeconds: number; datasetRevision?: string }): TaskResultFiles {
  const scores = evaluateRun(o.run, o.qrels, MTEB_CUTOFFS);
  const revision = o.revision ?? 'no_revision_available';
  return {
    result: {
      dataset_revision: o.datasetRevision ?? null,
      task_name: o.taskName,
      mteb_version: null,
      scores: { [o.split]: [{ hf_subset: 'default', languages: o.languages, main_score: scores.metrics.ndcg_at_10!, ...scores.metrics }] },
      evaluation_time: Number(o.evaluationSeconds.toFixed(2)),
      kg_co2_emissions: null,
    },
    sidecar: {
      written_by: 'inbatch', model_name: o.modelName, task_name: o.taskName, split: o.split,
      queries_evaluated: scores.queriesEvaluated, queries_without_relevant: scores.queriesWithoutRelevant,
      paddle_recall_pct: successJson(runSuccessPct(o.run, o.qrels)),
    },
    folder: [o.modelName.replace(/\//g, '__'), revision],
    modelMeta: { name: o.modelName, revision, release_date: null, languages: o.languages, framework: ['inbatch'], similarity_fn_name: 'cosine' },
  };
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
