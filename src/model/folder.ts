// A model is a folder: config.json, model.safetensors, vocab.txt and/or tokenizer.json.
// Real Hugging Face BERT folders load unchanged (a "bert." prefix and gamma/beta names are accepted).
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as T from '../torch/index.js';
import { loadTokenizer } from '../text/load-tokenizer.js';
import { writeTokenizerFiles } from '../text/tokenizer-files.js';
import { readSafetensors, writeSafetensors, type NamedArray } from '../data/safetensors.js';
import { readWeightFiles, weightFileOf } from '../data/weight-files.js';
import { readPaddleCheckpoint } from '../data/paddle-checkpoint.js';
import { readTorchCheckpoint } from '../data/torch-checkpoint.js';
import { normalizeConfig } from './config.js';
import { isPaddleFolder, PADDLE_WEIGHTS, paddleToHuggingFace, readPaddleFolder } from './paddle-format.js';
import { writeDirAtomic } from '../util/atomic.js';
import type { InbatchSettings, ModelConfig } from './config.js';
import { hasInbatchSettings, readModelConfig } from './config-file.js';
import { DualEncoder, initialParameter } from './dual-encoder.js';
import { dualEncoderParameterShapes, PROJECTION_BIAS, PROJECTION_WEIGHT, weightProblems } from './parameter-shapes.js';
import { readSentenceTransformersModules, writeSentenceTransformersFiles } from './sentence-transformers.js';
import { canonicalName, isPretrainingHead } from './weight-names.js';

export interface LoadReport {
  /** parameters the checkpoint lacked and that were freshly initialised (e.g. the projection of a plain BERT) */
  initialised: string[];
  /** checkpoint tensors that the model does not use, pretraining heads (MLM, NSP) left out */
  unused: string[];
}

/**
 * Reads a model folder's weights (any layout readWeightFiles knows, or PaddleNLP's) or a weights
 * file (.safetensors, pytorch .bin, PaddleNLP .pdparams).
 */
export function loadWeights(path: string, config: ModelConfig, seed = 42): { params: Map<string, T.Tensor>; report: LoadReport } {
  return weightsToParams(readAnyWeights(path), path, config, seed);
}

function readAnyWeights(path: string): Map<string, NamedArray> {
  if (statSync(path).isDirectory()) return isPaddleFolder(path) ? readPaddleFolder(path).tensors : readWeightFiles(path).tensors;
  if (path.endsWith('.pdparams')) return paddleToHuggingFace(readPaddleCheckpoint(path), path).tensors;
  if (path.endsWith('.bin')) return readTorchCheckpoint(path);
  return readSafetensors(path).tensors;
}

function weightsToParams(tensors: Map<string, NamedArray>, path: string, config: ModelConfig, seed: number): { params: Map<string, T.Tensor>; report: LoadReport } {
  const byName = new Map<string, NamedArray>();
  for (const [name, t] of tensors) byName.set(canonicalName(name), t);
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

export function loadModel(dir: string, overrides: Partial<InbatchSettings> = {}): { model: DualEncoder; report: LoadReport } {
  if (isPaddleFolder(dir)) return loadPaddleModel(dir, dir, overrides);
  // a sentence-transformers folder (no "inbatch" settings of its own) keeps its Pooling and Dense
  const st = hasInbatchSettings(dir) ? undefined : readSentenceTransformersModules(dir);
  if (st) {
    overrides = {
      pooling: st.pooling, output_emb_size: st.projection?.weight.shape[0] ?? 0,
      ...(st.maxSeqLength ? { max_seq_length: st.maxSeqLength } : {}), ...overrides,
    };
  }
  const config = readModelConfig(dir, overrides);
  const tokenizer = loadTokenizer(dir);
  if (tokenizer.vocabSize > config.vocab_size) throw new Error(`${dir}: the tokenizer has ${tokenizer.vocabSize} tokens but config.json's vocab_size is ${config.vocab_size}`);
  if (!weightFileOf(dir)) throw new Error(`${dir}: no weights (model.safetensors, a sharded model.safetensors.index.json, pytorch_model.bin or PaddleNLP's model_state.pdparams)`);
  const tensors = readAnyWeights(dir);
  if (st?.projection) { tensors.set(PROJECTION_WEIGHT, st.projection.weight); tensors.set(PROJECTION_BIAS, st.projection.bias); }
  const { params, report } = weightsToParams(tensors, dir, config, 42);
  return { model: new DualEncoder(config, params, tokenizer), report };
}

/**
 * A PaddleNLP folder as a model: its config and names translated, its vocab.txt and
 * tokenizer_config.json as they are. A trained semantic-indexing checkpoint folder often holds only
 * model_state.pdparams: `base` is then the pretrained folder it started from (config and vocabulary).
 */
export function loadPaddleModel(dir: string, base = dir, overrides: Partial<InbatchSettings> = {}): { model: DualEncoder; report: LoadReport } {
  const paddle = readPaddleFolder(dir, base);
  const config = normalizeConfig(paddle.config, join(dir, PADDLE_WEIGHTS), overrides);
  const tokenizer = loadTokenizer(base);
  const { params, report } = weightsToParams(paddle.tensors, join(dir, PADDLE_WEIGHTS), config, 42);
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
  // one parameter copied out of libtorch at a time, as the file is written
  const lazy = new Map([...model.params].map(([name, p]) => [name, { shape: p.shape, data: () => T.toFloat32(p) }]));
  writeSafetensors(join(dir, 'model.safetensors'), lazy, { format: 'pt' });
  writeTokenizerFiles(model.tokenizer, dir, model.config.inbatch.max_seq_length);
  const weight = model.params.get(PROJECTION_WEIGHT), bias = model.params.get(PROJECTION_BIAS);
  const projection = weight && bias ? { weight: { shape: weight.shape, data: T.toFloat32(weight) }, bias: { shape: bias.shape, data: T.toFloat32(bias) } } : undefined;
  writeSentenceTransformersFiles(dir, model.config, projection);
}

/** Saves a model folder atomically: a reader never sees a half-written model. */
export function saveModel(model: DualEncoder, dir: string): void {
  writeDirAtomic(dir, (tmp) => writeModelFiles(model, tmp));
}

