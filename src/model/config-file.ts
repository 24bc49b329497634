// Reads config.json of a model folder (no libtorch: inference and export use it too).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { normalizeConfig, type InbatchSettings, type ModelConfig } from './config.js';
import { readJsonObject } from '../util/json-file.js';

export function readModelConfig(dir: string, overrides: Partial<InbatchSettings> = {}): ModelConfig {
  const path = join(dir, 'config.json');
  if (!existsSync(path)) throw new Error(`${dir}: not a model folder (no config.json)`);
  const raw = readJsonObject(path);
  return normalizeConfig(raw, path, overrides);
}

/** An inbatch model folder (safe to replace with another): config.json with an "inbatch" object, and weights. */
export function isModelFolder(dir: string): boolean {
  try {
    const raw = readJsonObject(join(dir, 'config.json'));
    return typeof raw.inbatch === 'object' && existsSync(join(dir, 'model.safetensors'));
  } catch {
    return false;
  }
}

/** Whether config.json carries inbatch's own settings (else a plain Hugging Face or sentence-transformers folder). */
export function hasInbatchSettings(dir: string): boolean {
  try {
    const raw = readJsonObject(join(dir, 'config.json'));
    return typeof raw.inbatch === 'object' && raw.inbatch !== null;
  } catch {
    return false;
  }
}
