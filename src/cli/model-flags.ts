// Loading a model from CLI flags: a libtorch model folder with the settings a command may
// override, or, where a command only embeds (recall, mteb), any embedder: an ONNX folder or an endpoint.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { displayUrl, EndpointEmbedder, isEndpoint } from '../infer/endpoint.js';
import { OnnxFolderEmbedder } from '../infer/onnx-folder.js';
import { modelFingerprint, onnxFolderFingerprint } from '../model/fingerprint.js';
import { readModelConfig } from '../model/config-file.js';
import { dualEncoderParameterShapes } from '../model/parameter-shapes.js';
import type { EvaluatedModel } from '../eval/mteb-result.js';
import { isPaddleFolder } from '../model/paddle-format.js';
import { atDimensions, withBatchSize, type TextEmbedder } from '../retrieval/text-embedder.js';
import { checkDimension, checkMatryoshkaRecord, type MatryoshkaRecord } from '../vectors/dimensions.js';
import { readJsonObject } from '../util/json-file.js';
import { weightFileOf } from '../weights/weight-files.js';
import type { InbatchSettings, Pooling } from '../model/config.js';
import type { DualEncoder } from '../model/dual-encoder.js';
import { loadModel, loadPaddleModel } from '../model/folder.js';
import { UsageError } from '../util/errors.js';

export interface ModelOverrideFlags {
  paddleBase?: string;
  outputEmbSize?: number;
  maxSeqLength?: number;
  pooling?: Pooling;
}

export function modelOverrides(f: ModelOverrideFlags): Partial<InbatchSettings> {
  const o: Partial<InbatchSettings> = {};
  if (f.outputEmbSize !== undefined) o.output_emb_size = f.outputEmbSize;
  if (f.maxSeqLength !== undefined) o.max_seq_length = f.maxSeqLength;
  if (f.pooling !== undefined) o.pooling = f.pooling;
  return o;
}

export function loadModelFromFlags(dir: string, f: ModelOverrideFlags, quiet = false): DualEncoder {
  if (!existsSync(dir)) throw new UsageError(`--model ${dir} does not exist (create one with inbatch init)`);
  const { model, report } = f.paddleBase ? loadPaddleModel(dir, f.paddleBase, modelOverrides(f)) : loadModel(dir, modelOverrides(f));
  if (!quiet && report.initialised.length) console.error(`note: ${dir} had no ${report.initialised.join(', ')}; initialised randomly`);
  if (!quiet && report.unused.length) {
    console.error(`warning: ${dir}: ${report.unused.length} tensor(s) in the checkpoint are not used by this ${model.config.model_type} model: ${report.unused.slice(0, 5).join(', ')}${report.unused.length > 5 ? ', ...' : ''}`);
  }
  return model;
}

export interface AnyModelFlags extends ModelOverrideFlags {
  batchSize: number;
  queryPrefix?: string;
  documentPrefix?: string;
  apiKey?: string;
  endpointModel?: string;
  dimensions?: number;
  allowUntrainedDimensions?: boolean;
}

export interface LoadedEmbedder {
  embedder: TextEmbedder;
  /** what made the vectors: a stored index or cache of another is never reused */
  fingerprint: object;
  release(): Promise<void>;
}

/**
 * --model as any embedder: an endpoint URL (OpenAI-compatible .../v1, or TEI), a folder with
 * weights inbatch trains (libtorch), or a transformers.js / Optimum ONNX folder.
 */
export async function loadAnyEmbedder(model: string, f: AnyModelFlags): Promise<LoadedEmbedder> {
  const loaded = await loadFullEmbedder(model, f);
  if (f.dimensions === undefined || f.dimensions === loaded.embedder.dim) return loaded;
  checkDimension(f.dimensions, loaded.matryoshka, loaded.embedder.dim, f.allowUntrainedDimensions ?? false);
  console.error(`embeddings shortened to their first ${f.dimensions} of ${loaded.embedder.dim} dimensions, renormalised`);
  return { ...loaded, embedder: atDimensions(loaded.embedder, f.dimensions), fingerprint: { ...loaded.fingerprint, dimensions: f.dimensions } };
}

async function loadFullEmbedder(model: string, f: AnyModelFlags): Promise<LoadedEmbedder & { matryoshka?: MatryoshkaRecord }> {
  if (isEndpoint(model)) {
    const apiKey = f.apiKey ?? process.env.INBATCH_API_KEY ?? process.env.OPENAI_API_KEY;
    const embedder = await EndpointEmbedder.connect(model, { apiKey, model: f.endpointModel, batchSize: Math.min(f.batchSize, 256), queryPrefix: f.queryPrefix, documentPrefix: f.documentPrefix });
    console.error(`embedding through ${displayUrl(model)} (${embedder.dim} dimensions)`);
    // an endpoint does not say what it was trained for: only its full size counts as trained
    return { embedder, fingerprint: { endpoint: displayUrl(model), model: f.endpointModel ?? null, prefixes: [f.queryPrefix ?? '', f.documentPrefix ?? ''] }, release: async () => undefined };
  }
  if (!existsSync(model)) throw new UsageError(`--model ${model} does not exist`);
  if (isPaddleFolder(model) || weightFileOf(model)) {
    const m = loadModelFromFlags(model, f);
    const base = withBatchSize(m, f.batchSize);
    const prefixed: TextEmbedder = f.queryPrefix || f.documentPrefix
      ? { dim: base.dim, embed: (t) => base.embed(t.map((x) => (f.documentPrefix ?? '') + x)), embedQueries: (t) => base.embed(t.map((x) => (f.queryPrefix ?? '') + x)) }
      : base;
    // without prefixes the fingerprint is the model's own, as export records it (serve and mine compare them)
    const fingerprint = prefixed === base ? modelFingerprint(model, m.config) : { ...modelFingerprint(model, m.config), prefixes: [f.queryPrefix ?? '', f.documentPrefix ?? ''] };
    return { embedder: prefixed, fingerprint, release: async () => m.dispose(), matryoshka: m.config.inbatch.matryoshka };
  }
  if (f.pooling === 'pooler') throw new UsageError('--pooling pooler needs the model\'s weights (an ONNX folder pools by cls or mean)');
  const onnx = await OnnxFolderEmbedder.load(model, { pooling: f.pooling, queryPrefix: f.queryPrefix, documentPrefix: f.documentPrefix, maxSeqLength: f.maxSeqLength, batchSize: Math.min(f.batchSize, 64), threads: Number(process.env.INBATCH_THREADS) || undefined });
  console.error(`${model}: ONNX folder, ${onnx.dim} dimensions, ${onnx.pooling} pooling, max_seq_length ${onnx.maxSeqLength}${onnx.prefixes.query || onnx.prefixes.document ? `, prefixes ${JSON.stringify(onnx.prefixes)}` : ''}`);
  const file = [join(model, 'onnx', 'model.onnx'), join(model, 'model.onnx')].find(existsSync)!;
  const own = onnxFolderFingerprint(model, file, { pooling: onnx.pooling, max_seq_length: onnx.maxSeqLength });
  const prefixed = onnx.prefixes.query || onnx.prefixes.document;
  return {
    embedder: onnx,
    fingerprint: prefixed ? { ...own, prefixes: [onnx.prefixes.query, onnx.prefixes.document] } : own,
    release: () => onnx.release(),
    matryoshka: onnxFolderMatryoshka(model),
  };
}

/** Training on a prepared folder: its max_seq_length becomes the model's, with a note, unless --max-seq-length asked for another. */
export function adoptPreparedLength(model: DualEncoder, prepared: number, asked: number | undefined): void {
  const own = model.config.inbatch.max_seq_length;
  if (prepared === own || asked !== undefined) return; // a length asked for is checked against the data as it was
  if (prepared > model.config.max_position_embeddings) throw new UsageError(`the training data was prepared with max_seq_length ${prepared}, more than the model's ${model.config.max_position_embeddings} positions; prepare it again with --max-seq-length`);
  model.config.inbatch.max_seq_length = prepared;
  console.error(`note: the training data was prepared with max_seq_length ${prepared}; the model (${own}) trains and saves with ${prepared}`);
}

/** An inbatch export's config.json records what the model was trained for; other folders record nothing. */
function onnxFolderMatryoshka(dir: string): MatryoshkaRecord | undefined {
  const path = join(dir, 'config.json');
  if (!existsSync(path)) return undefined;
  const inbatch = readJsonObject(path).inbatch as { matryoshka?: unknown } | undefined;
  return checkMatryoshkaRecord(inbatch?.matryoshka, path);
}

/** What mteb's ModelMeta records of a --model: its kind, size, input length and dimension, where they are known. */
export function describeModel(model: string, dim: number | undefined, f: { queryPrefix?: string; documentPrefix?: string; dimensions?: number }): Omit<EvaluatedModel, 'name'> {
  const prefixed = Boolean(f.queryPrefix || f.documentPrefix);
  if (isEndpoint(model)) return { kind: 'endpoint', embedDim: dim, prefixed };
  const kind = isPaddleFolder(model) || weightFileOf(model) ? 'weights' : 'onnx';
  if (!existsSync(join(model, 'config.json'))) return { kind, embedDim: dim, prefixed };
  try {
    const config = readModelConfig(model);
    let parameters = 0;
    for (const shape of dualEncoderParameterShapes(config).values()) parameters += shape.reduce((a, b) => a * b, 1);
    return { kind, parameters, maxTokens: config.inbatch.max_seq_length, embedDim: dim ?? f.dimensions, prefixed };
  } catch {
    return { kind, embedDim: dim, prefixed }; // a config inbatch cannot read: what is unknown stays null
  }
}
