// What identifies a model folder's weights and settings without reading them: used to decide
// whether stored corpus embeddings still belong to the model.
import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ModelConfig } from './config.js';

export interface ModelFingerprint {
  model: string;
  weights_size: number;
  weights_mtime: number;
  inbatch: ModelConfig['inbatch'];
}

export function modelFingerprint(dir: string, config: ModelConfig): ModelFingerprint {
  const weights = statSync(join(dir, 'model.safetensors'));
  return { model: resolve(dir), weights_size: weights.size, weights_mtime: weights.mtimeMs, inbatch: config.inbatch };
}
