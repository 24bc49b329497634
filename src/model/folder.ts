// A model is a folder: config.json, model.safetensors, vocab.txt and/or tokenizer.json.
// Real Hugging Face BERT folders load unchanged (a "bert." prefix and gamma/beta names are accepted).
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as T from '../torch/index.js';
import { loadTokenizer } from '../text/load-tokenizer.js';
import { writeTokenizerFiles } from '../text/tokenizer-files.js';
import { readSafetensors, writeSafetensors, type NamedArray } from '../data/safetensors.js';
import { writeDirAtomic } from '../util/atomic.js';
import type { InbatchSettings, ModelConfig } from './config.js';
import { readModelConfig } from './config-file.js';
import { DualEncoder, dualEncoderParameterShapes, initialParameter } from './dual-encoder.js';
import { canonicalName } from './weight-names.js';

export interface LoadReport {
  /** parameters the checkpoint lacked and that were freshly initialised (e.g. the projection of a plain BERT) */
  initialised: string[];
  /** checkpoint tensors that the model does not use (e.g. MLM heads) */
  unused: string[];
}

export function loadWeights(path: string, config: ModelConfig, seed = 42): { params: Map<string, T.Tensor>; report: LoadReport } {
  const { tensors } = readSafetensors(path);
  const byName = new Map<string, NamedArray>();
  for (const [name, t] of tensors) byName.set(canonicalName(name), t);
  const report: LoadReport = { initialised: [], unused: [] };
  const params = new Map<string, T.Tensor>();
  const shapes = dualEncoderParameterShapes(config);
  const optional = (name: string) => name.startsWith('emb_reduce_linear.') || (name.startsWith('pooler.') && config.inbatch.pooling !== 'pooler');
  const missing: string[] = [];
  T.manualSeed(seed);
  for (const [name, shape] of shapes) {
    const t = byName.get(name);
    const reshaped = t !== undefined && t.shape.join('x') !== shape.join('x');
    if (!t || (reshaped && name.startsWith('emb_reduce_linear.'))) {
      // a plain BERT has no projection, and a new output_emb_size needs a new one
      if (optional(name)) {
        report.initialised.push(name);
        params.set(name, T.keep(initialParameter(name, shape, config)));
      } else missing.push(name);
      continue;
    }
    if (t.shape.join('x') !== shape.join('x')) {
      throw new Error(`${path}: ${name} has shape [${t.shape}] but the config needs [${shape}]`);
    }
    params.set(name, T.keep(T.fromData(t.data, shape)));
  }
  if (missing.length) {
    for (const p of params.values()) p.dispose();
    throw new Error(`${path}: missing ${missing.length} parameter(s): ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', ...' : ''}`);
  }
  for (const name of byName.keys()) if (!shapes.has(name) && !name.endsWith('position_ids')) report.unused.push(name);
  return { params, report };
}

export function loadModel(dir: string, overrides: Partial<InbatchSettings> = {}): { model: DualEncoder; report: LoadReport } {
  const config = readModelConfig(dir, overrides);
  const tokenizer = loadTokenizer(dir);
  const weights = join(dir, 'model.safetensors');
  if (!existsSync(weights)) throw new Error(`${dir}: no model.safetensors (PyTorch .bin checkpoints are not read; convert to safetensors)`);
  const { params, report } = loadWeights(weights, config);
  return { model: new DualEncoder(config, params, tokenizer), report };
}

export function modelWeights(model: DualEncoder): Map<string, NamedArray> {
  const out = new Map<string, NamedArray>();
  for (const [name, p] of model.params) out.set(name, { shape: p.shape, data: T.toFloat32(p) });
  return out;
}

/** Writes config.json, model.safetensors, vocab.txt and tokenizer.json into an existing folder. */
export function writeModelFiles(model: DualEncoder, dir: string): void {
  writeFileSync(join(dir, 'config.json'), JSON.stringify(model.config, null, 2) + '\n');
  writeSafetensors(join(dir, 'model.safetensors'), modelWeights(model), { format: 'pt' });
  writeTokenizerFiles(model.tokenizer, dir, model.config.inbatch.max_seq_length);
}

/** Saves a model folder atomically: a reader never sees a half-written model. */
export function saveModel(model: DualEncoder, dir: string): void {
  writeDirAtomic(dir, (tmp) => writeModelFiles(model, tmp));
}

