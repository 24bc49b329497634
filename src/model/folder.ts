// A model is a folder: config.json, model.safetensors, vocab.txt and/or tokenizer.json.
// Reading goes through model-source.ts (one table of formats); this file turns tensors into libtorch
// parameters and writes folders.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as T from '../torch/index.js';
import { writeTokenizerFiles } from '../text/tokenizer-files.js';
import { writeSafetensors, type NamedArray } from '../weights/safetensors.js';
import { writeDirAtomic } from '../util/atomic.js';
import { writeWeightsDigest } from './fingerprint.js';
import { writeModelCard } from './model-card.js';
import type { InbatchSettings, ModelConfig } from './config.js';
import { DualEncoder, initialParameter } from './dual-encoder.js';
import { readModelSource, readWeightTensors, type ModelSource } from './model-source.js';
import { dualEncoderParameterShapes, PROJECTION_BIAS, PROJECTION_WEIGHT, weightProblems } from './parameter-shapes.js';
import { writeSentenceTransformersFiles } from './sentence-transformers.js';
import { isPretrainingHead } from './weight-names.js';

export interface LoadReport {
  /** parameters the checkpoint lacked and that were freshly initialised (e.g. the projection of a plain BERT) */
  initialised: string[];
  /** checkpoint tensors that the model does not use, pretraining heads (MLM, NSP) left out */
  unused: string[];
}

/** A model folder of any format model-source.ts knows, as a libtorch model. */
export function loadModel(dir: string, overrides: Partial<InbatchSettings> = {}): { model: DualEncoder; report: LoadReport } {
  return modelOf(readModelSource(dir, { overrides }));
}

/**
 * A PaddleNLP folder as a model. A trained semantic-indexing checkpoint folder often holds only
 * model_state.pdparams: `base` is then the pretrained folder it started from (config and vocabulary).
 */
export function loadPaddleModel(dir: string, base = dir, overrides: Partial<InbatchSettings> = {}): { model: DualEncoder; report: LoadReport } {
  return modelOf(readModelSource(dir, { overrides, base, format: 'paddle' }));
}

/** The weights of a model folder or weights file (.safetensors, pytorch .bin, .pdparams) as parameters of `config`. */
export function loadWeights(path: string, config: ModelConfig, seed = 42): { params: Map<string, T.Tensor>; report: LoadReport } {
  return weightsToParams(readWeightTensors(path), path, config, seed);
}

function modelOf(source: ModelSource): { model: DualEncoder; report: LoadReport } {
  const { params, report } = weightsToParams(source.tensors, source.weightsPath, source.config, 42);
  return { model: new DualEncoder(source.config, params, source.tokenizer), report };
}

function weightsToParams(byName: Map<string, NamedArray>, path: string, config: ModelConfig, seed: number): { params: Map<string, T.Tensor>; report: LoadReport } {
  const { wrongShape, missing } = weightProblems(byName, config);
  if (wrongShape.length) throw new Error(`${path}: ${wrongShape[0]}${wrongShape.length > 1 ? ` (and ${wrongShape.length - 1} more)` : ''}`);
  if (missing.length) throw new Error(`${path}: missing ${missing.length} parameter(s): ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', ...' : ''}`);
  const report: LoadReport = { initialised: [], unused: [] };
  const params = new Map<string, T.Tensor>();
  const shapes = dualEncoderParameterShapes(config);
  T.manualSeed(seed);
  for (const [name, shape] of shapes) {
    const t = byName.get(name);
    // a plain BERT has no projection, and a new output_emb_size needs a new one
    if (!t || t.shape.join('x') !== shape.join('x')) {
      report.initialised.push(name);
      params.set(name, T.keep(initialParameter(name, shape, config)));
    } else params.set(name, T.keep(T.fromData(t.data, shape)));
  }
  for (const name of byName.keys()) if (!shapes.has(name) && !isPretrainingHead(name)) report.unused.push(name);
  return { params, report };
}

export function modelWeights(model: DualEncoder): Map<string, NamedArray> {
  const out = new Map<string, NamedArray>();
  for (const [name, p] of model.params) out.set(name, { shape: p.shape, data: T.toFloat32(p) });
  return out;
}

/** Writes config.json, model.safetensors, vocab.txt, tokenizer.json and the model card (README.md) into an existing folder. */
export function writeModelFiles(model: DualEncoder, dir: string, extraFiles: Record<string, string> = {}): void {
  for (const [name, content] of Object.entries(extraFiles)) writeFileSync(join(dir, name), content);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(model.config, null, 2) + '\n');
  // one parameter copied out of libtorch at a time, as the file is written
  const lazy = new Map([...model.params].map(([name, p]) => [name, { shape: p.shape, data: () => T.toFloat32(p) }]));
  writeSafetensors(join(dir, 'model.safetensors'), lazy, { format: 'pt' });
  writeTokenizerFiles(model.tokenizer, dir, model.config.inbatch.max_seq_length);
  const weight = model.params.get(PROJECTION_WEIGHT), bias = model.params.get(PROJECTION_BIAS);
  const projection = weight && bias ? { weight: { shape: weight.shape, data: T.toFloat32(weight) }, bias: { shape: bias.shape, data: T.toFloat32(bias) } } : undefined;
  writeSentenceTransformersFiles(dir, model.config, projection);
  writeWeightsDigest(dir);
  writeModelCard(dir, model.config, 'model', model.tokenizer.idToToken);
}

/** Saves a model folder atomically (with extra files, e.g. calibration pairs): a reader never sees a half-written model. */
export function saveModel(model: DualEncoder, dir: string, extraFiles: Record<string, string> = {}): void {
  writeDirAtomic(dir, (tmp) => writeModelFiles(model, tmp, extraFiles));
}

