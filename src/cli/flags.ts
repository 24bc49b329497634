// Typed, range-checked flag values and the flag groups several commands share.
// Every parser names the problem; commander prefixes it with the flag.
import { InvalidArgumentError, Option } from '@commander-js/extra-typings';

export { UsageError } from '../util/errors.js';

const INTEGER = /^[+-]?\d+$/;
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** An integer in [min, max], written in decimal ("0x10" and "1e3" are refused). */
export function intIn(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (raw: string): number => {
    if (!INTEGER.test(raw.trim())) throw new InvalidArgumentError(`must be an integer, got "${raw}"`);
    const v = Number(raw);
    if (v < min || v > max) throw new InvalidArgumentError(max === Number.MAX_SAFE_INTEGER ? `must be >= ${min}, got ${v}` : `must be between ${min} and ${max}, got ${v}`);
    return v;
  };
}

/** A decimal number satisfying `ok`, described by `what` ("> 0", "in [0, 1)"). */
export function numberWhere(ok: (v: number) => boolean, what: string) {
  return (raw: string): number => {
    if (!DECIMAL.test(raw.trim())) throw new InvalidArgumentError(`must be a number, got "${raw}"`);
    const v = Number(raw);
    if (!Number.isFinite(v) || !ok(v)) throw new InvalidArgumentError(`must be ${what}, got ${raw}`);
    return v;
  };
}

/** A comma-separated list ("256,128,64"), each value parsed by `one`. */
export function listOf(one: (raw: string) => number) {
  return (raw: string): number[] => {
    const parts = raw.split(',').map((x) => x.trim());
    if (parts.some((x) => x === '')) throw new InvalidArgumentError(`must be a comma-separated list, got "${raw}"`);
    return parts.map((x) => {
      try { return one(x); } catch (e) { throw new InvalidArgumentError(`${x}: ${(e as Error).message}`); }
    });
  };
}

export const positive = numberWhere((v) => v > 0, '> 0');
export const nonNegative = numberWhere((v) => v >= 0, '>= 0');
export const probability = numberWhere((v) => v >= 0 && v < 1, 'in [0, 1)');
export const proportion = numberWhere((v) => v >= 0 && v <= 1, 'in [0, 1]');

/** A path or name: never the next flag swallowed by a missing value ("--save-dir --batch-size 8"). */
export function pathValue(raw: string): string {
  if (raw.startsWith('-')) throw new InvalidArgumentError(`needs a value, got the flag-like "${raw}" (write --flag=${raw} if you mean it)`);
  if (raw.trim() === '') throw new InvalidArgumentError('must not be empty');
  return raw;
}

/** A path, or "-" for standard input. */
export function pathOrStdin(raw: string): string {
  return raw === '-' ? raw : pathValue(raw);
}

export function oneOf<const T extends string>(...choices: T[]) {
  return (raw: string): T => {
    if (!(choices as string[]).includes(raw)) throw new InvalidArgumentError(`must be one of ${choices.join(', ')}, got "${raw}"`);
    return raw as T;
  };
}

// ---- flags shared by several commands ----------------------------------------------------

/** --model for commands that load a libtorch model folder. */
export const modelDirOption = (help = 'model folder (inbatch init, train, or a Hugging Face BERT with model.safetensors)') =>
  new Option('--model <dir>', help).argParser(pathValue).makeOptionMandatory();

/** PaddleNLP: the pretrained folder (config, vocab) of a checkpoint folder that holds only model_state.pdparams (--params_path) */
export const paddleBaseOption = () => new Option('--paddle-base <dir>', 'for a PaddleNLP checkpoint folder without config.json/vocab.txt: the pretrained folder it started from').argParser(pathValue);

// settings of the model folder a command may override
export const outputEmbSizeOption = () => new Option('--output-emb-size <n>', 'projection size (0 = hidden size); default: the model folder\'s').argParser(intIn(0, 65536));
export const maxSeqLengthOption = () => new Option('--max-seq-length <n>', 'tokens per text, [CLS] and [SEP] included; default: the model folder\'s').argParser(intIn(2, 65536));
export const poolingOption = () => new Option('--pooling <kind>', 'cls | pooler | mean; default: the model folder\'s').argParser(oneOf('cls', 'pooler', 'mean'));

export const hnswMOption = () => new Option('--hnsw-m <n>', 'HNSW M: links per node').argParser(intIn(2, 2048)).default(100);
export const hnswEfOption = () => new Option('--hnsw-ef <n>', 'HNSW ef_construction and search ef').argParser(intIn(1, 100000)).default(100);
export const embedBatchOption = () => new Option('--batch-size <n>', 'texts per forward pass').argParser(intIn(1, 65536)).default(128);

// commands that run an exported (ONNX) model
export const onnxModelOption = () => new Option('--model <dir>', 'exported folder (inbatch export)').argParser(pathValue).makeOptionMandatory();
export const precisionOption = () => new Option('--precision <p>', 'fp32 | fp16 | q8 (export --fp16 / --quantize)').argParser(oneOf('fp32', 'fp16', 'q8')).default('fp32' as const);
export const providerOption = () => new Option('--provider <p>', 'cpu | cuda (needs onnxruntime-node\'s CUDA provider)').argParser(oneOf('cpu', 'cuda')).default('cpu' as const);
export const threadsOption = () => new Option('--threads <n>', 'onnxruntime intra-op threads').argParser(intIn(1, 256));

// commands that retrieve from a corpus (recall, mteb, serve, mine)
export const retrieverOption = () => new Option('--retriever <kind>', 'dense (the model) | bm25 (lexical) | hybrid (both, fused as --hybrid-weights says)')
  .argParser(oneOf('dense', 'bm25', 'hybrid')).default('dense' as const);
export const rrfKOption = () => new Option('--rrf-k <k>', 'hybrid: RRF constant k in weight / (k + rank)').argParser(nonNegative).default(60);
export const hybridWeightsOption = () => new Option('--hybrid-weights <auto|dense,bm25>', 'hybrid: auto (fitted on calibration queries, never the evaluated ones; see --calibration-pairs), or the weights of the dense and the BM25 ranking')
  .argParser((raw: string): number[] | 'auto' => (raw === 'auto' ? 'auto' : weightList(2)(raw))).default('auto' as number[] | 'auto');
export const fusionMethodOption = () => new Option('--fusion-method <m>', 'hybrid with explicit weights: rrf (reciprocal rank fusion) or convex (min-max normalised scores)').argParser(oneOf('rrf', 'convex')).default('rrf' as const);
export const calibrationPairsOption = () => new Option('--calibration-pairs <file>', 'hybrid auto: query<TAB>positive pairs to fit the fusion on (e.g. training pairs; default: pseudo-queries cut from the corpus)').argParser(pathValue);
export const calibrationQueriesOption = () => new Option('--calibration-queries <n>', 'hybrid auto: calibration queries used').argParser(intIn(50, 100_000)).default(300);
export const calibrationSeedOption = () => new Option('--calibration-seed <n>', 'hybrid auto: which calibration queries and corpus sample').argParser(intIn(0)).default(1);
export const fusionDepthOption = () => new Option('--fusion-depth <n>', 'hybrid: ranks of each retriever that are fused (at least the k asked for)').argParser(intIn(1, 100000)).default(100);
export const bm25K1Option = () => new Option('--bm25-k1 <k1>', 'BM25 term-frequency saturation').argParser(numberWhere((v) => v >= 0 && v <= 100, 'in [0, 100]')).default(1.2);
export const bm25BOption = () => new Option('--bm25-b <b>', 'BM25 length normalisation').argParser(proportion).default(0.75);

/** Comma-separated non-negative weights, `count` of them when given. */
export function weightList(count?: number) {
  return (raw: string): number[] => {
    const parts = raw.split(',');
    if (count !== undefined && parts.length !== count) throw new InvalidArgumentError(`must be ${count} comma-separated numbers, got "${raw}"`);
    const weights = parts.map((p) => {
      if (!DECIMAL.test(p.trim()) || !(Number(p) >= 0)) throw new InvalidArgumentError(`must be comma-separated numbers >= 0, got "${raw}"`);
      return Number(p);
    });
    if (!weights.some((w) => w > 0)) throw new InvalidArgumentError(`at least one weight must be above 0 (all 0 would rank by id), got "${raw}"`);
    return weights;
  };
}

export interface RetrievalFlags {
  retriever: 'dense' | 'bm25' | 'hybrid';
  rrfK: number;
  hybridWeights: number[] | 'auto';
  fusionMethod: 'rrf' | 'convex';
  fusionDepth: number;
  bm25K1: number;
  bm25B: number;
  calibrationPairs?: string;
  calibrationQueries: number;
  calibrationSeed: number;
}

// commands that only embed (recall, mteb): any model as the dense retriever
export const anyModelOption = () => new Option('--model <dir|url>', 'a model folder (inbatch, Hugging Face, PaddleNLP), a transformers.js / Optimum ONNX folder, or an endpoint URL (OpenAI-compatible .../v1, or TEI); not needed with --retriever bm25').argParser((v: string) => (/^https?:\/\//i.test(v) ? v : pathValue(v)));
export const dimensionsOption = () => new Option('--dimensions <d>', 'embeddings shortened to their first D values, renormalised: one of the dimensions the model was trained for (train --matryoshka-dims)').argParser(intIn(1, 65536));
export const allowUntrainedDimensionsOption = () => new Option('--allow-untrained-dimensions', 'take a --dimensions the model was not trained for').default(false);
export const queryPrefixOption = () => new Option('--query-prefix <text>', 'prepended to every query (default: the folder\'s prompts, else none)');
export const documentPrefixOption = () => new Option('--document-prefix <text>', 'prepended to every corpus text (default: the folder\'s prompts, else none)');
export const apiKeyOption = () => new Option('--api-key <key>', 'an endpoint\'s Bearer key (default: INBATCH_API_KEY or OPENAI_API_KEY)');
export const endpointModelOption = () => new Option('--endpoint-model <name>', 'the model name an OpenAI-compatible endpoint is asked for').default('default');
