// What identifies a model folder's weights and settings without reading them: used to decide
// whether stored corpus embeddings still belong to the model.
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { weightFileOf } from '../weights/weight-files.js';
import type { ModelConfig } from './config.js';
import { readJsonObject } from '../util/json-file.js';

export interface ModelFingerprint {
  model: string;
  weights_size: number;
  weights_mtime: number;
  inbatch: ModelConfig['inbatch'];
}

export function modelFingerprint(dir: string, config: ModelConfig): ModelFingerprint {
  const file = weightFileOf(dir) ?? (existsSync(join(dir, 'model_state.pdparams')) ? join(dir, 'model_state.pdparams') : undefined);
  if (!file) throw new Error(`${dir}: no weights (model.safetensors or model.safetensors.index.json)`);
  const weights = statSync(file);
  return { model: resolve(dir), weights_size: weights.size, weights_mtime: weights.mtimeMs, inbatch: config.inbatch };
}

/** Written into an export: the fingerprint of the model folder it was made from. */
export const EXPORT_SOURCE_FILE = 'inbatch_source.json';

// An index's vectors only mean something to the model that made them: recall records that model's
// fingerprint in corpus.json, export records it in EXPORT_SOURCE_FILE, and serve compares the two.
/** Why the index does not belong to the exported model, or undefined when it does (or one side is unknown). */
export function indexModelMismatch(indexDir: string, indexEmbedder: object | null, exportDir: string): string | undefined {
  const sourcePath = join(exportDir, EXPORT_SOURCE_FILE);
  if (!indexEmbedder || !existsSync(sourcePath)) return undefined;
  const source = readJsonObject(sourcePath);
  const built = indexEmbedder as Record<string, unknown>;
  if (JSON.stringify(built) === JSON.stringify(source)) return undefined;
  const differs = ['model', 'weights_size', 'weights_mtime', 'inbatch'].filter((k) => JSON.stringify(built[k]) !== JSON.stringify(source[k]));
  return `${indexDir} was built by ${String(built.model)}, but ${exportDir} was exported from ${String(source.model)} (${differs.join(', ')} differ): ` +
    'its vectors would be compared with another model\'s; rebuild the index with inbatch recall, or pass --allow-index-mismatch';
}
