// config.json of a model folder: a Hugging Face BERT or ERNIE config plus an "inbatch" object.
// ERNIE (Hugging Face ErnieModel; ERNIE 1.0/3.0, RocketQA) is BERT with an optional task-type
// embedding added to the input embeddings; its checkpoints often use relu, other models gelu_new.
import { checkMatryoshkaRecord, type MatryoshkaRecord } from '../vectors/dimensions.js';

export type Pooling = 'cls' | 'pooler' | 'mean';
export type ModelType = 'bert' | 'ernie';
export const MODEL_TYPES: readonly ModelType[] = ['bert', 'ernie'];
/** erf GELU (BERT), ReLU (ERNIE 1.0, RocketQA), tanh-approximated GELU (gelu_new, gelu_pytorch_tanh) */
export const ACTIVATIONS = ['gelu', 'relu', 'gelu_new', 'gelu_pytorch_tanh'] as const;

export interface BertConfig {
  vocab_size: number;
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  intermediate_size: number;
  hidden_act: string;
  hidden_dropout_prob: number;
  attention_probs_dropout_prob: number;
  max_position_embeddings: number;
  type_vocab_size: number;
  layer_norm_eps: number;
  initializer_range: number;
  pad_token_id: number;
}

export interface InbatchSettings {
  pooling: Pooling;
  /** size of the projection after pooling; 0 keeps the hidden size (no projection) */
  output_emb_size: number;
  max_seq_length: number;
  /** dropout after the projection, as in PaddleNLP's SemanticIndexBase */
  dropout: number;
  /** ERNIE with use_task_id: the task type row added to every token (0 unless the base model says otherwise) */
  task_type_id?: number;
  /** Matryoshka: the prefix dimensions trained (train --matryoshka-dims) and their measured Recall@10 */
  matryoshka?: MatryoshkaRecord;
  /** an export's output size when export --dimensions took a Matryoshka prefix */
  dimensions?: number;
}

export interface ModelConfig extends BertConfig {
  model_type: ModelType;
  architectures?: string[];
  /** ERNIE: whether task_type_embeddings exist and are added */
  use_task_id?: boolean;
  task_type_vocab_size?: number;
  inbatch: InbatchSettings;
}

/** The task-type row the encoder adds, or undefined when the model has none. */
export function taskTypeId(c: ModelConfig): number | undefined {
  return c.model_type === 'ernie' && c.use_task_id ? (c.inbatch.task_type_id ?? 0) : undefined;
}

export const DEFAULT_INBATCH: InbatchSettings = { pooling: 'cls', output_emb_size: 256, max_seq_length: 128, dropout: 0.1 };

const BASE_BERT: Omit<BertConfig, 'vocab_size' | 'hidden_size' | 'num_hidden_layers' | 'num_attention_heads' | 'intermediate_size'> = {
  hidden_act: 'gelu',
  hidden_dropout_prob: 0.1,
  attention_probs_dropout_prob: 0.1,
  max_position_embeddings: 512,
  type_vocab_size: 2,
  layer_norm_eps: 1e-12,
  initializer_range: 0.02,
  pad_token_id: 0,
};

export const PRESETS: Record<string, Pick<BertConfig, 'hidden_size' | 'num_hidden_layers' | 'num_attention_heads' | 'intermediate_size'>> = {
  tiny: { hidden_size: 128, num_hidden_layers: 2, num_attention_heads: 2, intermediate_size: 512 },
  small: { hidden_size: 256, num_hidden_layers: 4, num_attention_heads: 4, intermediate_size: 1024 },
  base: { hidden_size: 768, num_hidden_layers: 12, num_attention_heads: 12, intermediate_size: 3072 },
};

export function presetConfig(name: string, vocabSize: number, inbatch: Partial<InbatchSettings> = {}): ModelConfig {
  const preset = PRESETS[name];
  if (!preset) throw new Error(`unknown config preset "${name}" (tiny, small, base, or a config.json path)`);
  return { model_type: 'bert', architectures: ['BertModel'], vocab_size: vocabSize, ...BASE_BERT, ...preset, inbatch: { ...DEFAULT_INBATCH, ...inbatch } };
}

/** Accepts any HF BERT config; fills what inbatch needs and checks what it cannot run. */
export function normalizeConfig(raw: Record<string, unknown>, where: string, overrides: Partial<InbatchSettings> = {}): ModelConfig {
  const num = (key: keyof BertConfig, fallback?: number): number => {
    const v = raw[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${where}: "${key}" must be a number`);
    return v;
  };
  const modelType = raw.model_type ?? 'bert';
  if (!MODEL_TYPES.includes(modelType as ModelType)) throw new Error(`${where}: model_type ${JSON.stringify(modelType)} is not supported (${MODEL_TYPES.join(', ')})`);
  const act = String(raw.hidden_act ?? 'gelu');
  if (!(ACTIVATIONS as readonly string[]).includes(act)) throw new Error(`${where}: hidden_act "${act}" is not supported (${ACTIVATIONS.join(', ')})`);
  if (raw.inbatch !== undefined && (typeof raw.inbatch !== 'object' || raw.inbatch === null || Array.isArray(raw.inbatch))) {
    throw new Error(`${where}: "inbatch" must be an object like {"pooling": "mean", "output_emb_size": 256}, got ${JSON.stringify(raw.inbatch)}`);
  }
  const ernie = modelType === 'ernie';
  const config: ModelConfig = {
    model_type: modelType as ModelType,
    architectures: [ernie ? 'ErnieModel' : 'BertModel'],
    vocab_size: num('vocab_size'),
    hidden_size: num('hidden_size'),
    num_hidden_layers: num('num_hidden_layers'),
    num_attention_heads: num('num_attention_heads'),
    intermediate_size: num('intermediate_size'),
    hidden_act: act,
    hidden_dropout_prob: num('hidden_dropout_prob', 0.1),
    attention_probs_dropout_prob: num('attention_probs_dropout_prob', 0.1),
    max_position_embeddings: num('max_position_embeddings', 512),
    type_vocab_size: num('type_vocab_size', 2),
    layer_norm_eps: num('layer_norm_eps', 1e-12),
    initializer_range: num('initializer_range', 0.02),
    pad_token_id: num('pad_token_id', 0),
    inbatch: { ...DEFAULT_INBATCH, ...((raw.inbatch as Partial<InbatchSettings>) ?? {}), ...overrides },
  };
  if (ernie) {
    // Hugging Face's ErnieConfig defaults: no task ids, a table of 3 when there are
    if (raw.use_task_id !== undefined && typeof raw.use_task_id !== 'boolean') throw new Error(`${where}: "use_task_id" must be true or false`);
    config.use_task_id = (raw.use_task_id as boolean | undefined) ?? false;
    config.task_type_vocab_size = num('task_type_vocab_size' as keyof BertConfig, 3);
  }
  checkMatryoshkaRecord(config.inbatch.matryoshka, where);
  checkConfig(config, where);
  return config;
}

const SIZE_LIMITS = {
  vocab_size: 10_000_000, hidden_size: 65_536, num_hidden_layers: 1_024, num_attention_heads: 1_024,
  intermediate_size: 262_144, max_position_embeddings: 1_048_576, type_vocab_size: 1_024,
} as const;
const MAX_PARAMETERS = 20e9;

/** Range checks of every field; each message names the field and the file. */
function checkConfig(c: ModelConfig, where: string): void {
  const fail = (field: string, what: string, v: unknown) => { throw new Error(`${where}: ${field} must be ${what}, got ${JSON.stringify(v)}`); };
  const positiveInt = (field: string, v: unknown) => { if (!Number.isSafeInteger(v) || (v as number) < 1) fail(field, 'a positive integer', v); };
  for (const f of ['vocab_size', 'hidden_size', 'num_hidden_layers', 'num_attention_heads', 'intermediate_size', 'max_position_embeddings', 'type_vocab_size'] as const) {
    positiveInt(f, c[f]);
    // beyond any real BERT by far: an absurd size is refused by name before anything is allocated
    if (c[f] > SIZE_LIMITS[f]) fail(f, `at most ${SIZE_LIMITS[f]}`, c[f]);
  }
  const params = c.vocab_size * c.hidden_size + c.num_hidden_layers * (4 * c.hidden_size * c.hidden_size + 2 * c.hidden_size * c.intermediate_size);
  if (params > MAX_PARAMETERS) throw new Error(`${where}: these sizes make about ${(params / 1e9).toFixed(1)}B parameters, more than the ${MAX_PARAMETERS / 1e9}B inbatch loads`);
  if (!(c.layer_norm_eps > 0)) fail('layer_norm_eps', '> 0', c.layer_norm_eps);
  for (const f of ['hidden_dropout_prob', 'attention_probs_dropout_prob'] as const) if (!(c[f] >= 0 && c[f] < 1)) fail(f, 'in [0, 1)', c[f]);
  if (!Number.isSafeInteger(c.pad_token_id) || c.pad_token_id < 0 || c.pad_token_id >= c.vocab_size) fail('pad_token_id', `an id in [0, ${c.vocab_size})`, c.pad_token_id);
  if (c.hidden_size % c.num_attention_heads !== 0) {
    throw new Error(`${where}: hidden_size ${c.hidden_size} is not a multiple of num_attention_heads ${c.num_attention_heads}`);
  }
  const s = c.inbatch;
  if (c.model_type === 'ernie') {
    positiveInt('task_type_vocab_size', c.task_type_vocab_size);
    const id = s.task_type_id ?? 0;
    if (!Number.isSafeInteger(id) || id < 0 || id >= c.task_type_vocab_size!) fail('inbatch.task_type_id', `an id in [0, ${c.task_type_vocab_size})`, id);
  }
  if (!['cls', 'pooler', 'mean'].includes(s.pooling)) fail('inbatch.pooling', 'cls, pooler or mean', s.pooling);
  if (!Number.isSafeInteger(s.output_emb_size) || s.output_emb_size < 0) fail('inbatch.output_emb_size', 'an integer >= 0 (0: no projection)', s.output_emb_size);
  if (!Number.isSafeInteger(s.max_seq_length) || s.max_seq_length < 2) fail('inbatch.max_seq_length', 'an integer >= 2', s.max_seq_length);
  if (typeof s.dropout !== 'number' || !(s.dropout >= 0 && s.dropout < 1)) fail('inbatch.dropout', 'in [0, 1)', s.dropout);
  if (s.max_seq_length > c.max_position_embeddings) {
    throw new Error(`${where}: max_seq_length ${s.max_seq_length} exceeds max_position_embeddings ${c.max_position_embeddings}`);
  }
}

export function embeddingSize(config: ModelConfig): number {
  return config.inbatch.output_emb_size > 0 ? config.inbatch.output_emb_size : config.hidden_size;
}
