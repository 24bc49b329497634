// Reads config.json of a model folder (no libtorch: inference and export use it too).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { normalizeConfig, type InbatchSettings, type ModelConfig } from './config.js';

export function readModelConfig(dir: string, overrides: Partial<InbatchSettings> = {}): ModelConfig {
  const path = join(dir, 'config.json');
  if (!existsSync(path)) throw new Error(`${dir}: not a model folder (no config.json)`);
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${(e as Error).message})`);
  }
  return normalizeConfig(raw, path, overrides);
}
