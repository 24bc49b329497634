// Where a model comes from, as one table of formats. Each format reads a path into the same three
// things: a config, the tensors under inbatch's (Hugging Face BertModel) names, and a tokenizer.
// No libtorch here: training (folder.ts) and export both walk down from this one table.
//   PaddleNLP folder      model_state.pdparams + config.json / model_config.json (+ vocab.txt, or a base folder's)
//   Hugging Face folder   config.json + model.safetensors | sharded safetensors | pytorch_model.bin
//                         (+ sentence-transformers modules: Pooling and Dense become pooling and projection)
// Single weight files (--init-from-ckpt) have a table of their own: .pdparams, .bin, .safetensors.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadTokenizer } from '../text/load-tokenizer.js';
import type { BertTokenizer } from '../text/bert-tokenizer.js';
import { readPaddleCheckpoint } from '../weights/paddle-checkpoint.js';
import { readSafetensors, type NamedArray } from '../weights/safetensors.js';
import { readTorchCheckpoint } from '../weights/torch-checkpoint.js';
import { readWeightFiles, weightFileOf } from '../weights/weight-files.js';
import { normalizeConfig, type InbatchSettings, type ModelConfig } from './config.js';
import { hasInbatchSettings, readModelConfig } from './config-file.js';
import { isPaddleFolder, PADDLE_WEIGHTS, paddleToHuggingFace, readPaddleFolder } from './paddle-format.js';
import { PROJECTION_BIAS, PROJECTION_WEIGHT } from './parameter-shapes.js';
import { readSentenceTransformersModules } from './sentence-transformers.js';
import { canonicalName } from './weight-names.js';

export interface ModelSource {
  config: ModelConfig;
  /** tensors by inbatch's names ("bert."/"ernie." prefixes and gamma/beta already mapped) */
  tensors: Map<string, NamedArray>;
  tokenizer: BertTokenizer;
  /** the file the weights came from, for messages */
  weightsPath: string;
}

export interface SourceOptions {
  overrides?: Partial<InbatchSettings>;
  /** a PaddleNLP checkpoint folder's pretrained base: its config and vocabulary (default: the folder itself) */
  base?: string;
  /** force a format instead of recognising it */
  format?: 'paddle' | 'hf';
}

interface ModelFormat {
  name: 'paddle' | 'hf';
  matches(dir: string): boolean;
  read(dir: string, o: SourceOptions): ModelSource;
}

const FORMATS: ModelFormat[] = [
  {
    name: 'paddle',
    matches: isPaddleFolder,
    read(dir, o) {
      const base = o.base ?? dir;
      const paddle = readPaddleFolder(dir, base);
      const weightsPath = join(dir, PADDLE_WEIGHTS);
      return { config: normalizeConfig(paddle.config, weightsPath, o.overrides), tensors: paddle.tensors, tokenizer: loadTokenizer(base), weightsPath };
    },
  },
  {
    name: 'hf',
    matches: (dir) => existsSync(join(dir, 'config.json')),
    read(dir, o) {
      // a sentence-transformers folder (no "inbatch" settings of its own) keeps its Pooling and Dense
      const st = hasInbatchSettings(dir) ? undefined : readSentenceTransformersModules(dir);
      const fromModules: Partial<InbatchSettings> = st
        ? { pooling: st.pooling, output_emb_size: st.projection?.weight.shape[0] ?? 0, ...(st.maxSeqLength ? { max_seq_length: st.maxSeqLength } : {}) }
        : {};
      const config = readModelConfig(dir, { ...fromModules, ...o.overrides });
      const tokenizer = loadTokenizer(dir);
      if (!weightFileOf(dir)) throw new Error(`${dir}: no weights (model.safetensors, a sharded model.safetensors.index.json, pytorch_model.bin or PaddleNLP's model_state.pdparams)`);
      const { tensors, source } = readWeightFiles(dir);
      if (st?.projection) { tensors.set(PROJECTION_WEIGHT, st.projection.weight); tensors.set(PROJECTION_BIAS, st.projection.bias); }
      return { config, tensors, tokenizer, weightsPath: source };
    },
  },
];

/** Reads a model folder of any known format; the tokenizer must fit the config's vocabulary. */
export function readModelSource(dir: string, o: SourceOptions = {}): ModelSource {
  const format = o.format ? FORMATS.find((f) => f.name === o.format)! : FORMATS.find((f) => f.matches(dir));
  if (!format) throw new Error(`${dir}: not a model folder (no config.json), nor a PaddleNLP one (no ${PADDLE_WEIGHTS})`);
  const source = format.read(dir, o);
  if (source.tokenizer.vocabSize > source.config.vocab_size) {
    throw new Error(`${dir}: the tokenizer has ${source.tokenizer.vocabSize} tokens but the config's vocab_size is ${source.config.vocab_size}`);
  }
  return { ...source, tensors: canonicalNames(source.tensors) };
}

const WEIGHT_FILES: { matches(path: string): boolean; read(path: string): Map<string, NamedArray> }[] = [
  { matches: (p) => p.endsWith('.pdparams'), read: (p) => paddleToHuggingFace(readPaddleCheckpoint(p), p).tensors },
  { matches: (p) => p.endsWith('.bin'), read: readTorchCheckpoint },
  { matches: () => true, read: (p) => readSafetensors(p).tensors },
];

/** The tensors of a model folder (any format above) or of one weights file, by inbatch's names. */
export function readWeightTensors(path: string): Map<string, NamedArray> {
  if (statSync(path).isDirectory()) {
    return canonicalNames(isPaddleFolder(path) ? readPaddleFolder(path).tensors : readWeightFiles(path).tensors);
  }
  return canonicalNames(WEIGHT_FILES.find((f) => f.matches(path))!.read(path));
}

function canonicalNames(tensors: Map<string, NamedArray>): Map<string, NamedArray> {
  const out = new Map<string, NamedArray>();
  for (const [name, t] of tensors) out.set(canonicalName(name), t);
  return out;
}
