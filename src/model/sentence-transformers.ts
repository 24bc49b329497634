// The sentence-transformers layout beside a model's Hugging Face files, so that
// SentenceTransformer(dir) rebuilds inbatch's embedding: Transformer -> Pooling (cls | mean) ->
// Dense (the projection, identity activation) -> Normalize. And the reverse: a sentence-transformers
// folder given as --model keeps its pooling and Dense. inbatch's `pooler` pooling (tanh dense on
// [CLS]) has no sentence-transformers module: such models get no modules.json, and say why.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readSafetensors, writeSafetensors, type NamedArray } from '../weights/safetensors.js';
import type { ModelConfig, Pooling } from './config.js';
import { readJsonObject, readJsonFile } from '../util/json-file.js';

export const ST_MODULES = 'modules.json';
const IDENTITY = 'torch.nn.modules.linear.Identity';

/** Why this model cannot be written for sentence-transformers, or undefined when it can. */
export function sentenceTransformersGap(config: ModelConfig): string | undefined {
  return config.inbatch.pooling === 'pooler'
    ? 'pooling "pooler" (tanh dense on [CLS], ERNIE\'s pooled output) has no sentence-transformers module: no modules.json written; use cls or mean pooling for a sentence-transformers folder'
    : undefined;
}

/**
 * Writes modules.json and its module folders into dir (next to config.json and the weights).
 * An ONNX export (`exported`) already pools, projects and normalises in its graph, whose
 * last_hidden_state is the embedding copied to every token: there Pooling takes the first (cls) and no Dense follows.
 */
export function writeSentenceTransformersFiles(dir: string, config: ModelConfig, projection?: { weight: NamedArray; bias: NamedArray }, exported = false): boolean {
  if (!exported && sentenceTransformersGap(config)) return false;
  const embeddingDim = config.inbatch.output_emb_size > 0 ? config.inbatch.output_emb_size : config.hidden_size;
  const hidden = exported ? embeddingDim : config.hidden_size;
  if (exported) { config = { ...config, inbatch: { ...config.inbatch, pooling: 'cls' } }; projection = undefined; }
  const modules: { idx: number; name: string; path: string; type: string }[] = [
    { idx: 0, name: '0', path: '', type: 'sentence_transformers.models.Transformer' },
    { idx: 1, name: '1', path: '1_Pooling', type: 'sentence_transformers.models.Pooling' },
  ];
  mkdirSync(join(dir, '1_Pooling'), { recursive: true });
  writeFileSync(join(dir, '1_Pooling', 'config.json'), JSON.stringify({
    word_embedding_dimension: hidden,
    pooling_mode_cls_token: config.inbatch.pooling === 'cls',
    pooling_mode_mean_tokens: config.inbatch.pooling === 'mean',
    pooling_mode_max_tokens: false, pooling_mode_mean_sqrt_len_tokens: false, pooling_mode_weightedmean_tokens: false, pooling_mode_lasttoken: false,
    include_prompt: true,
  }, null, 2) + '\n');
  if (projection) {
    mkdirSync(join(dir, '2_Dense'), { recursive: true });
    writeFileSync(join(dir, '2_Dense', 'config.json'), JSON.stringify({ in_features: hidden, out_features: projection.weight.shape[0], bias: true, activation_function: IDENTITY }, null, 2) + '\n');
    writeSafetensors(join(dir, '2_Dense', 'model.safetensors'), new Map([['linear.weight', projection.weight], ['linear.bias', projection.bias]]));
    modules.push({ idx: 2, name: '2', path: '2_Dense', type: 'sentence_transformers.models.Dense' });
  }
  mkdirSync(join(dir, `${modules.length}_Normalize`), { recursive: true });
  modules.push({ idx: modules.length, name: String(modules.length), path: `${modules.length}_Normalize`, type: 'sentence_transformers.models.Normalize' });
  writeFileSync(join(dir, ST_MODULES), JSON.stringify(modules, null, 2) + '\n');
  writeFileSync(join(dir, 'config_sentence_transformers.json'), JSON.stringify({
    __version__: { sentence_transformers: '3.0.0' }, prompts: {}, default_prompt_name: null, similarity_fn_name: 'cosine',
    // what the model was trained for (train --matryoshka-dims): SentenceTransformer(truncate_dim=...) takes one of these
    ...(config.inbatch.matryoshka ? { inbatch_matryoshka: config.inbatch.matryoshka } : {}),
  }, null, 2) + '\n');
  writeFileSync(join(dir, 'sentence_bert_config.json'), JSON.stringify({ max_seq_length: config.inbatch.max_seq_length, do_lower_case: false }, null, 2) + '\n');
  return true;
}

export interface SentenceTransformersModules {
  pooling: Pooling;
  /** the Dense module's weights, as inbatch's projection */
  projection?: { weight: NamedArray; bias: NamedArray };
  normalize: boolean;
  maxSeqLength?: number;
}

/** Reads a sentence-transformers folder's modules; refuses what inbatch's encoder cannot reproduce. */
export function readSentenceTransformersModules(dir: string): SentenceTransformersModules | undefined {
  const path = join(dir, ST_MODULES);
  if (!existsSync(path)) return undefined;
  const modules = readJsonFile(path) as { path: string; type: string }[];
  if (!Array.isArray(modules)) throw new Error(`${path}: not a list of modules`);
  const out: SentenceTransformersModules = { pooling: 'cls', normalize: false };
  let sawPooling = false;
  for (const m of modules) {
    const kind = String(m.type).split('.').pop();
    const folder = join(dir, m.path ?? '');
    if (kind === 'Transformer') continue;
    if (kind === 'Pooling') {
      const c = readJsonObject(join(folder, 'config.json'));
      const modes = Object.entries(c).filter(([k, v]) => k.startsWith('pooling_mode_') && v === true).map(([k]) => k.slice('pooling_mode_'.length));
      if (modes.length !== 1 || !['cls_token', 'mean_tokens'].includes(modes[0]!)) throw new Error(`${folder}: pooling ${modes.join(' + ') || 'none'} is not supported (cls_token or mean_tokens)`);
      out.pooling = modes[0] === 'cls_token' ? 'cls' : 'mean';
      sawPooling = true;
    } else if (kind === 'Dense') {
      const c = readJsonObject(join(folder, 'config.json'));
      if (c.activation_function !== IDENTITY) throw new Error(`${folder}: a Dense module with activation ${String(c.activation_function)} is not supported (identity only)`);
      if (out.projection) throw new Error(`${path}: more than one Dense module`);
      const weightsPath = join(folder, 'model.safetensors');
      if (!existsSync(weightsPath)) throw new Error(`${folder}: no model.safetensors (convert its pytorch_model.bin first)`);
      const t = readSafetensors(weightsPath).tensors;
      const weight = t.get('linear.weight'), bias = t.get('linear.bias');
      if (!weight || !bias) throw new Error(`${weightsPath}: no linear.weight / linear.bias`);
      out.projection = { weight, bias };
    } else if (kind === 'Normalize') {
      out.normalize = true;
    } else {
      throw new Error(`${path}: module ${m.type} is not supported (Transformer, Pooling, Dense, Normalize)`);
    }
  }
  if (!sawPooling) throw new Error(`${path}: no Pooling module`);
  if (!out.normalize) throw new Error(`${path}: no Normalize module; inbatch's embeddings are always L2-normalised, so cosine scores would differ from this model's dot products`);
  const bert = join(dir, 'sentence_bert_config.json');
  if (existsSync(bert)) out.maxSeqLength = readJsonObject(bert).max_seq_length as number | undefined;
  return out;
}
