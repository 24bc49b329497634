// PaddleNLP model folders as inbatch models: model_state.pdparams + config.json (PaddleNLP >= 2.5)
// or the one-line model_config.json of older versions, and vocab.txt. What differs from Hugging Face:
//   names   encoder.layers.N.self_attn.{q,k,v,out}_proj, linear1/linear2, norm1/norm2, embeddings.layer_norm
//   prefix  none (ErnieModel), "ernie." / "bert." (heads), "ptm." (a trained semantic-indexing model,
//           whose emb_reduce_linear has no prefix)
//   Linear  weights stored [in, out]: transposed here to [out, in]
// Configuration defaults changed across PaddleNLP versions, so sizes are read from the tensors
// (vocab, hidden, FFN, positions, token types, task types, layers) and only the head count from the config.
// LayerNorm epsilon is taken as 1e-12 whatever the config says, as the issue that asked for this
// reader states for PaddleNLP's ERNIE (not checked against Paddle's source here).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readPaddleCheckpoint } from '../weights/paddle-checkpoint.js';
import { transposed, type NamedArray } from '../weights/safetensors.js';
import { DEFAULT_INBATCH } from './config.js';
import { readJsonObject } from '../util/json-file.js';

export const PADDLE_WEIGHTS = 'model_state.pdparams';

export function isPaddleFolder(dir: string): boolean {
  return existsSync(join(dir, PADDLE_WEIGHTS)) && !existsSync(join(dir, 'model.safetensors'));
}

const RENAMES: [RegExp, string][] = [
  [/^embeddings\.layer_norm\./, 'embeddings.LayerNorm.'],
  [/^encoder\.layers\.(\d+)\.self_attn\.q_proj\./, 'encoder.layer.$1.attention.self.query.'],
  [/^encoder\.layers\.(\d+)\.self_attn\.k_proj\./, 'encoder.layer.$1.attention.self.key.'],
  [/^encoder\.layers\.(\d+)\.self_attn\.v_proj\./, 'encoder.layer.$1.attention.self.value.'],
  [/^encoder\.layers\.(\d+)\.self_attn\.out_proj\./, 'encoder.layer.$1.attention.output.dense.'],
  [/^encoder\.layers\.(\d+)\.norm1\./, 'encoder.layer.$1.attention.output.LayerNorm.'],
  [/^encoder\.layers\.(\d+)\.linear1\./, 'encoder.layer.$1.intermediate.dense.'],
  [/^encoder\.layers\.(\d+)\.linear2\./, 'encoder.layer.$1.output.dense.'],
  [/^encoder\.layers\.(\d+)\.norm2\./, 'encoder.layer.$1.output.LayerNorm.'],
];
const LINEAR = /(self_attn\.[qkvout_]+proj|linear[12]|pooler\.dense|emb_reduce_linear)\.weight$/;

/** PaddleNLP names -> inbatch's (Hugging Face) names, Linear weights transposed. */
export function paddleToHuggingFace(tensors: Map<string, NamedArray>, where: string): { tensors: Map<string, NamedArray>; semanticIndex: boolean } {
  const names = [...tensors.keys()];
  const semanticIndex = names.some((n) => n.startsWith('ptm.'));
  const prefix = semanticIndex ? 'ptm.' : names.some((n) => n.startsWith('ernie.')) ? 'ernie.' : names.some((n) => n.startsWith('bert.')) ? 'bert.' : '';
  const out = new Map<string, NamedArray>();
  for (const [raw, t] of tensors) {
    let name = raw.startsWith(prefix) ? raw.slice(prefix.length) : raw;
    let value = t;
    if (LINEAR.test(name)) {
      if (t.shape.length !== 2) throw new Error(`${where}: ${raw} should be a matrix, has shape [${t.shape}]`);
      value = transposed(t);
    }
    for (const [from, to] of RENAMES) name = name.replace(from, to);
    out.set(name, value);
  }
  return { tensors: out, semanticIndex };
}

/** config.json (PaddleNLP >= 2.5) or model_config.json ({"init_args": [{...}], "init_class": ...}) of a folder. */
export function readPaddleConfig(dir: string): Record<string, unknown> {
  for (const name of ['config.json', 'model_config.json']) {
    const path = join(dir, name);
    if (!existsSync(path)) continue;
    let raw = readJsonObject(path);
    // older files nest the model's arguments, once per wrapping class (ErnieForX -> ErnieModel)
    let initClass = typeof raw.init_class === 'string' ? raw.init_class : undefined;
    while (Array.isArray(raw.init_args) && typeof raw.init_args[0] === 'object' && raw.init_args[0] !== null) {
      raw = raw.init_args[0] as Record<string, unknown>;
      if (typeof raw.init_class === 'string') initClass ??= raw.init_class;
    }
    const architectures = Array.isArray(raw.architectures) ? raw.architectures.map(String) : initClass ? [initClass] : [];
    return { ...raw, architectures };
  }
  return {};
}

/**
 * An HF-style config for PaddleNLP weights (already renamed): sizes from the tensors, the rest
 * from the Paddle config; ERNIE unless the config names BERT.
 */
export function paddleConfig(raw: Record<string, unknown>, tensors: Map<string, NamedArray>, where: string): Record<string, unknown> {
  const shape = (name: string) => {
    const t = tensors.get(name);
    if (!t) throw new Error(`${where}: no ${name} (is this a PaddleNLP ERNIE/BERT checkpoint?)`);
    return t.shape;
  };
  const [vocab, hidden] = shape('embeddings.word_embeddings.weight') as [number, number];
  const layers = new Set([...tensors.keys()].map((n) => /^encoder\.layer\.(\d+)\./.exec(n)?.[1]).filter((x) => x !== undefined)).size;
  const architectures = (raw.architectures as string[] | undefined) ?? [];
  const bert = raw.model_type === 'bert' || architectures.some((a) => /^Bert/.test(a));
  const task = tensors.get('embeddings.task_type_embeddings.weight');
  if (raw.num_attention_heads === undefined && raw.n_head === undefined) throw new Error(`${where}: the config does not give num_attention_heads`);
  return {
    ...raw,
    model_type: bert ? 'bert' : 'ernie',
    vocab_size: vocab,
    hidden_size: hidden,
    num_hidden_layers: layers,
    num_attention_heads: raw.num_attention_heads ?? raw.n_head,
    intermediate_size: shape('encoder.layer.0.intermediate.dense.weight')[0],
    max_position_embeddings: shape('embeddings.position_embeddings.weight')[0],
    type_vocab_size: shape('embeddings.token_type_embeddings.weight')[0],
    use_task_id: task !== undefined,
    task_type_vocab_size: task?.shape[0] ?? raw.task_type_vocab_size ?? 3,
    layer_norm_eps: 1e-12,
    hidden_act: raw.hidden_act ?? 'gelu',
    pad_token_id: raw.pad_token_id ?? 0,
  };
}

/** Reads a PaddleNLP folder's weights and config as Hugging Face ones. */
export function readPaddleFolder(dir: string, configDir = dir): { config: Record<string, unknown>; tensors: Map<string, NamedArray>; semanticIndex: boolean } {
  const where = join(dir, PADDLE_WEIGHTS);
  const { tensors, semanticIndex } = paddleToHuggingFace(readPaddleCheckpoint(where), where);
  const config = paddleConfig(readPaddleConfig(configDir), tensors, where);
  const projection = tensors.get('emb_reduce_linear.weight');
  // a trained semantic-indexing model embeds with ERNIE's pooled output, then its projection;
  // a pretrained base gets CLS pooling and no projection unless asked (--output-emb-size)
  const positions = config.max_position_embeddings as number;
  const common = { max_seq_length: Math.min(DEFAULT_INBATCH.max_seq_length, positions) };
  const inbatch = semanticIndex ? { ...common, pooling: 'pooler', output_emb_size: projection?.shape[0] ?? 0 } : { ...common, pooling: 'cls', output_emb_size: 0 };
  return { config: { ...config, inbatch }, tensors, semanticIndex };
}
