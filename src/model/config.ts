// config.json of a model folder: a Hugging Face BERT config plus an "inbatch" object.
export type Pooling = 'cls' | 'pooler' | 'mean';

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
}

export interface ModelConfig extends BertConfig {
  model_type: 'bert';
  architectures?: string[];
  inbatch: InbatchSettings;
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
  const act = String(raw.hidden_act ?? 'gelu');
  if (act !== 'gelu') throw new Error(`${where}: hidden_act "${act}" is not supported (only the erf "gelu" of BERT)`);
  const config: ModelConfig = {
    model_type: 'bert',
    architectures: ['BertModel'],
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
  if (config.hidden_size % config.num_attention_heads !== 0) {
    throw new Error(`${where}: hidden_size ${config.hidden_size} is not a multiple of num_attention_heads ${config.num_attention_heads}`);
  }
  if (!['cls', 'pooler', 'mean'].includes(config.inbatch.pooling)) {
    throw new Error(`${where}: inbatch.pooling must be cls, pooler or mean (got "${config.inbatch.pooling}")`);
  }
  if (config.inbatch.max_seq_length > config.max_position_embeddings) {
    throw new Error(`${where}: max_seq_length ${config.inbatch.max_seq_length} exceeds max_position_embeddings ${config.max_position_embeddings}`);
  }
  return config;
}

export function embeddingSize(config: ModelConfig): number {
  return config.inbatch.output_emb_size > 0 ? config.inbatch.output_emb_size : config.hidden_size;
}
