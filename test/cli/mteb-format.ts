// mteb's loader, re-stated from its source (mteb/load_results/load_results.py, task_results.py, model_meta.py),
// so results files are checked against what mteb itself would accept where mteb does not run.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const FRAMEWORKS = ['Sentence Transformers', 'PyTorch', 'GritLM', 'LLM2Vec', 'TensorFlow', 'API', 'Tevatron', 'NumPy', 'PyLate', 'ColBERT'];
/** ModelMeta's fields (pydantic, extra="forbid"); those without a default are required. */
const MODEL_META_REQUIRED = ['name', 'revision', 'release_date', 'languages', 'loader', 'n_parameters', 'memory_usage_mb', 'max_tokens', 'embed_dim', 'license',
  'open_weights', 'public_training_code', 'public_training_data', 'framework', 'similarity_fn_name', 'use_instructions', 'training_datasets'];
const MODEL_META_OPTIONAL = ['loader_kwargs', 'reference', 'adapted_from', 'superseded_by', 'modalities', 'citation'];
/** PEP 440, as packaging.version.Version parses it (epoch, release, pre, post, dev, local). */
const PEP440 = /^([1-9][0-9]*!)?(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*((a|b|rc)(0|[1-9][0-9]*))?(\.post(0|[1-9][0-9]*))?(\.dev(0|[1-9][0-9]*))?(\+[a-z0-9]+(\.[a-z0-9]+)*)?$/i;
const LANGUAGE_SCRIPT = /^[a-z]{3}-[A-Z][a-z]{3}$/;

const isNullOr = (v: unknown, type: string) => v === null || typeof v === type;

/** Why mteb's TaskResult.from_disk would refuse the object, or [] when it loads as the current layout. */
export function taskResultProblems(data: Record<string, unknown>): string[] {
  const problems: string[] = [];
  if (typeof data.dataset_revision !== 'string') problems.push('dataset_revision must be a string');
  if (typeof data.task_name !== 'string') problems.push('task_name must be a string');
  // from_disk drops a null mteb_version and then takes the file for the pre-1.11 layout (mteb_dataset_name), which it is not
  if (typeof data.mteb_version !== 'string' || !PEP440.test(data.mteb_version)) problems.push(`mteb_version must be a PEP 440 version, got ${JSON.stringify(data.mteb_version)}`);
  else {
    const [major, minor, patch] = data.mteb_version.split(/[+.]/).map(Number);
    // below 1.12.48, from_disk looks the task up in mteb's registry to fix pair-classification scores (a custom task fails)
    if (major! < 1 || (major === 1 && (minor! < 12 || (minor === 12 && patch! < 48)))) problems.push('mteb_version below 1.12.48');
  }
  if (!isNullOr(data.evaluation_time, 'number')) problems.push('evaluation_time must be a number or null');
  if (data.kg_co2_emissions !== undefined && !isNullOr(data.kg_co2_emissions, 'number')) problems.push('kg_co2_emissions must be a number or null');
  const scores = data.scores;
  if (typeof scores !== 'object' || scores === null || Array.isArray(scores)) return [...problems, 'scores must be a dict of splits'];
  for (const [split, subsets] of Object.entries(scores)) {
    if (!Array.isArray(subsets)) { problems.push(`scores.${split} must be a list`); continue; }
    for (const s of subsets as Record<string, unknown>[]) {
      if (typeof s !== 'object' || s === null) { problems.push('Scores should be a dictionary'); continue; }
      if (!('main_score' in s)) problems.push("'main_score' should be in scores");
      if (typeof s.hf_subset !== 'string') problems.push('hf_subset should be in scores and should be a string');
      if (!Array.isArray(s.languages)) problems.push('languages should be in scores and should be a list');
    }
  }
  return problems;
}

/** Why ModelMeta.model_validate would refuse the object, or []. */
export function modelMetaProblems(data: Record<string, unknown>): string[] {
  const problems: string[] = [];
  for (const k of MODEL_META_REQUIRED) if (!(k in data)) problems.push(`missing ${k}`);
  for (const k of Object.keys(data)) if (!MODEL_META_REQUIRED.includes(k) && !MODEL_META_OPTIONAL.includes(k)) problems.push(`extra field ${k} (forbidden)`);
  for (const k of ['name', 'revision', 'public_training_code', 'adapted_from', 'superseded_by', 'citation', 'reference']) if (k in data && !isNullOr(data[k], 'string')) problems.push(`${k} must be a string or null`);
  if (data.release_date !== null && !(typeof data.release_date === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(data.release_date))) problems.push('release_date must be YYYY-MM-DD or null');
  if (data.languages !== null && !(Array.isArray(data.languages) && data.languages.every((l) => typeof l === 'string' && LANGUAGE_SCRIPT.test(l)))) problems.push('languages must be ISO 639-3 + script codes or null');
  if (data.loader !== null && data.loader !== undefined) problems.push('loader must be null in a file (a callable)');
  if (data.n_parameters !== null && !Number.isInteger(data.n_parameters)) problems.push('n_parameters must be an int or null');
  for (const k of ['memory_usage_mb', 'max_tokens']) if (!isNullOr(data[k], 'number')) problems.push(`${k} must be a number or null`);
  if (data.embed_dim !== null && !Number.isInteger(data.embed_dim)) problems.push('embed_dim must be an int or null');
  if (data.license !== null && typeof data.license !== 'string') problems.push('license must be a string or null');
  for (const k of ['open_weights', 'use_instructions']) if (!isNullOr(data[k], 'boolean')) problems.push(`${k} must be a bool or null`);
  if (!(data.public_training_data === null || ['string', 'boolean'].includes(typeof data.public_training_data))) problems.push('public_training_data must be a string, bool or null');
  if (!Array.isArray(data.framework) || !data.framework.every((f) => FRAMEWORKS.includes(f as string))) problems.push(`framework must be a list of ${FRAMEWORKS.join(', ')}`);
  if (!(data.similarity_fn_name === null || ['cosine', 'dot', 'MaxSim'].includes(data.similarity_fn_name as string))) problems.push('Invalid similarity function name');
  if (data.training_datasets !== null && (typeof data.training_datasets !== 'object' || Array.isArray(data.training_datasets))) problems.push('training_datasets must be a dict or null');
  if ('modalities' in data && !(Array.isArray(data.modalities) && data.modalities.every((m) => m === 'text' || m === 'image'))) problems.push('modalities must be text or image');
  return problems;
}

/**
 * load_results over a results folder: every <model>/<revision>/ with a model_meta.json, and every other *.json
 * there read as a TaskResult. Returns each file mteb would fail on, with why.
 */
export function mtebLoadProblems(resultsFolder: string): string[] {
  const problems: string[] = [];
  for (const model of readdirSync(resultsFolder)) {
    if (!statSync(join(resultsFolder, model)).isDirectory()) continue;
    for (const revision of readdirSync(join(resultsFolder, model))) {
      const folder = join(resultsFolder, model, revision);
      const meta = join(folder, 'model_meta.json');
      try {
        problems.push(...modelMetaProblems(JSON.parse(readFileSync(meta, 'utf8'))).map((p) => `${meta}: ${p}`));
      } catch {
        continue; // require_model_meta: a revision without one is skipped
      }
      for (const f of readdirSync(folder).filter((n) => n.endsWith('.json') && n !== 'model_meta.json')) {
        problems.push(...taskResultProblems(JSON.parse(readFileSync(join(folder, f), 'utf8'))).map((p) => `${join(folder, f)}: ${p}`));
      }
    }
  }
  return problems;
}
