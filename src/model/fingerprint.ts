// What identifies a model folder's weights and settings without reading them: used to decide
// whether stored corpus embeddings still belong to the model.
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { weightFileOf } from '../data/weight-files.js';
import type { ModelConfig } from './config.js';

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
