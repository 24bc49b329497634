// Retrieval results as mteb writes and loads them: TASK.json (TaskResult) and model_meta.json (ModelMeta) in
// results/<model>/<revision>/, trec metrics (recall_at_k a fraction); PaddleNLP's hit rate
// ("paddle_recall_pct": {"success_at_N": percent}) in a sidecar outside that tree.
import { basename, dirname, join, resolve } from 'node:path';
import { writeFileAtomic } from '../util/atomic.js';
import { hashFiles } from '../util/file-hash.js';
import { MTEB_CUTOFFS, evaluateRun, type Qrels, type Run } from './trec-metrics.js';
import { PADDLE_CUTOFFS, successJson } from './success-at-n.js';

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
 * mteb's TaskResult (mteb >= 1.12), as its loader validates it: dataset_revision a string, mteb_version a
 * PEP 440 version (a null one is dropped by TaskResult.from_disk and the file then fails as the pre-1.11
 * layout), scores per split as a list of subsets each with main_score (ndcg_at_10), hf_subset and
 * languages. The version names the mteb layout written and, as a local label, inbatch.
 * inbatch's own extras go to a sidecar outside the results tree: mteb reads every *.json beside
 * model_meta.json as a task result.
 */
export const MTEB_FORMAT_VERSION = '1.38.0+inbatch.0.1.0';

export interface TaskResult {
  dataset_revision: string;
  task_name: string;
  mteb_version: string;
  scores: Record<string, { hf_subset: string; languages: string[]; main_score: number; [metric: string]: unknown }[]>;
  evaluation_time: number;
  kg_co2_emissions: null;
}

/** mteb's ModelMeta, every field it requires (pydantic, extra fields forbidden), filled with what inbatch knows. */
export interface ModelMeta {
  name: string; revision: string; release_date: null; languages: string[] | null; loader: null; loader_kwargs: Record<string, never>;
  n_parameters: number | null; memory_usage_mb: number | null; max_tokens: number | null; embed_dim: number | null;
  license: null; open_weights: boolean | null; public_training_code: null; public_training_data: null;
  framework: ('Sentence Transformers' | 'PyTorch' | 'API')[]; reference: null; similarity_fn_name: 'cosine';
  use_instructions: boolean | null; training_datasets: null; adapted_from: null; superseded_by: null; modalities: ['text']; citation: null;
}

/** What a command knows of the model it evaluated (all optional: a TREC run comes from anywhere). */
export interface EvaluatedModel {
  name: string;
  revision?: string;
  kind?: 'weights' | 'onnx' | 'endpoint' | 'bm25' | 'run';
  parameters?: number;
  maxTokens?: number;
  embedDim?: number;
  prefixed?: boolean;
}

export interface TaskResultFiles {
  result: TaskResult;
  /** inbatch's extras: PaddleNLP hit rates, query counts, who made it */
  sidecar: Record<string, unknown>;
  /** results/<model>/<revision>/ as mteb lays it out ("/" in a model name becomes "__", " " becomes "_") */
  folder: string[];
  modelMeta: ModelMeta;
}

const FRAMEWORKS: Record<NonNullable<EvaluatedModel['kind']>, ModelMeta['framework']> = {
  weights: ['PyTorch', 'Sentence Transformers'], onnx: ['Sentence Transformers'], endpoint: ['API'], bm25: [], run: [],
};

export function modelMeta(m: EvaluatedModel, languages: string[]): ModelMeta {
  const local = m.kind === 'weights' || m.kind === 'onnx';
  return {
    name: m.name, revision: m.revision ?? 'no_revision_available', release_date: null, languages: languages.length ? languages : null, loader: null, loader_kwargs: {},
    n_parameters: m.parameters ?? null, memory_usage_mb: m.parameters ? Math.round((m.parameters * 4) / (1 << 20)) : null,
    max_tokens: m.maxTokens ?? null, embed_dim: m.embedDim ?? null, license: null, open_weights: local ? true : null,
    public_training_code: null, public_training_data: null, framework: FRAMEWORKS[m.kind ?? 'run'], reference: null, similarity_fn_name: 'cosine',
    use_instructions: m.prefixed ?? (local ? false : null), training_datasets: null, adapted_from: null, superseded_by: null, modalities: ['text'], citation: null,
  };
}

export function taskResult(o: { taskName: string; model: EvaluatedModel; split: string; languages: string[]; run: Run; qrels: Qrels; evaluationSeconds: number; datasetRevision: string }): TaskResultFiles {
  const scores = evaluateRun(o.run, o.qrels, MTEB_CUTOFFS);
  const revision = o.model.revision ?? 'no_revision_available';
  return {
    result: {
      dataset_revision: o.datasetRevision,
      task_name: o.taskName,
      mteb_version: MTEB_FORMAT_VERSION,
      scores: { [o.split]: [{ hf_subset: 'default', languages: o.languages, main_score: scores.metrics.ndcg_at_10!, ...scores.metrics }] },
      evaluation_time: Number(o.evaluationSeconds.toFixed(2)),
      kg_co2_emissions: null,
    },
    sidecar: {
      written_by: 'inbatch', model_name: o.model.name, task_name: o.taskName, split: o.split,
      queries_evaluated: scores.queriesEvaluated, queries_without_relevant: scores.queriesWithoutRelevant,
      paddle_recall_pct: successJson(runSuccessPct(o.run, o.qrels)),
    },
    folder: [o.model.name.replace(/\//g, '__').replace(/ /g, '_'), revision],
    modelMeta: modelMeta(o.model, o.languages),
  };
}

/**
 * Where a result file's inbatch sidecar lives: the same <model>/<revision>/<task>.json path under a sibling
 * of the results folder named RESULTS.inbatch, so mteb never reads it as a task result.
 */
export function sidecarPathFor(resultsFolder: string, folder: string[], task: string): string {
  return join(`${resolve(resultsFolder)}.inbatch`, ...folder, `${task}.json`);
}

/** The sidecar of a result file in results/<model>/<revision>/<task>.json (for compare). */
export function sidecarOfResultFile(file: string): string {
  const abs = resolve(file);
  const revision = dirname(abs), model = dirname(revision), root = dirname(model);
  return sidecarPathFor(root, [basename(model), basename(revision)], basename(abs, '.json'));
}

/** dataset_revision: the one given, else the sha256 of the data files' contents (a Hub revision is a commit; this names the bytes). */
export function datasetRevision(given: string | undefined, dataFiles: string[]): string {
  return given ?? `sha256:${hashFiles(dataFiles)}`;
}

/** The one writer of mteb and evaluate-run: TASK.json and model_meta.json in the results tree, the sidecar beside that tree. */
export function writeTaskResultFiles(resultsFolder: string, files: TaskResultFiles, extras: Record<string, unknown> = {}): { result: string; sidecar: string } {
  const folder = join(resultsFolder, ...files.folder);
  const task = files.result.task_name;
  const result = join(folder, `${task}.json`);
  writeFileAtomic(result, JSON.stringify(files.result, null, 2) + '\n');
  writeFileAtomic(join(folder, 'model_meta.json'), JSON.stringify(files.modelMeta, null, 2) + '\n');
  const sidecar = sidecarPathFor(resultsFolder, files.folder, task);
  writeFileAtomic(sidecar, JSON.stringify({ ...files.sidecar, ...extras }, null, 2) + '\n');
  return { result, sidecar };
}
