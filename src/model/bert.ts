// The BERT encoder (Devlin et al. 2018), with Hugging Face parameter names; ERNIE is the same
// encoder plus a task-type row in the embeddings and, in some checkpoints, relu or tanh-GELU.
//   embeddings = LayerNorm(word + position + token_type [+ task_type])
//   each layer: h = LayerNorm(h + SelfAttention(h)); h = LayerNorm(h + FFN(h))
// Backward is libtorch autograd over these same ops.
import * as T from '../torch/index.js';
import type { Tensor } from '../torch/index.js';
import { taskTypeId, type BertConfig, type ModelConfig } from './config.js';
export { bertParameterShapes } from './parameter-shapes.js';

export type Params = Map<string, Tensor>;

export interface EncoderInputs {
  inputIds: Tensor; // int64 [B, L]
  tokenTypeIds: Tensor; // int64 [B, L]
  attentionMask: Tensor; // int64 [B, L], 1 = real token
}

/** Every parameter of BertModel with its shape, in Hugging Face naming. */

function param(params: Params, name: string): Tensor {
  const p = params.get(name);
  if (!p) throw new Error(`missing parameter ${name}`);
  return p;
}

function embeddings(P: Params, c: BertConfig, x: EncoderInputs, training: boolean): Tensor {
  const seqLength = x.inputIds.shape[1]!;
  const positions = T.arange(seqLength);
  let h = T.embedding(param(P, 'embeddings.word_embeddings.weight'), x.inputIds);
  h = T.add(h, T.embedding(param(P, 'embeddings.position_embeddings.weight'), positions));
  h = T.add(h, T.embedding(param(P, 'embeddings.token_type_embeddings.weight'), x.tokenTypeIds));
  const task = taskTypeId(c as ModelConfig);
  if (task !== undefined) h = T.add(h, T.select(param(P, 'embeddings.task_type_embeddings.weight'), 0, task));
  h = T.layerNorm(h, param(P, 'embeddings.LayerNorm.weight'), param(P, 'embeddings.LayerNorm.bias'), c.layer_norm_eps);
  return T.dropout(h, c.hidden_dropout_prob, training);
}

/** [B, L] mask -> [B, 1, 1, L] additive bias: 0 for tokens, -10000 for padding. */
export function attentionBias(attentionMask: Tensor, dtype: 'float32' | 'float64' = 'float32'): Tensor {
  const m = T.toDtype(attentionMask, dtype);
  return T.mul(T.sub(T.unsqueeze(T.unsqueeze(m, 1), 1), 1), 10000);
}

function selfAttention(P: Params, p: string, c: BertConfig, h: Tensor, bias: Tensor, training: boolean): Tensor {
  const [B, L, H] = h.shape as [number, number, number];
  const heads = c.num_attention_heads;
  const d = H / heads;
  const split = (t: Tensor) => T.permute(T.reshape(t, [B, L, heads, d]), [0, 2, 1, 3]);
  const q = split(T.linear(h, param(P, `${p}query.weight`), param(P, `${p}query.bias`)));
  const k = split(T.linear(h, param(P, `${p}key.weight`), param(P, `${p}key.bias`)));
  const v = split(T.linear(h, param(P, `${p}value.weight`), param(P, `${p}value.bias`)));
  const scores = T.add(T.mul(T.matmul(q, T.transpose(k, -1, -2)), 1 / Math.sqrt(d)), bias);
  const probs = T.dropout(T.softmax(scores, -1), c.attention_probs_dropout_prob, training);
  return T.reshape(T.permute(T.matmul(probs, v), [0, 2, 1, 3]), [B, L, H]);
}

/** Dense, dropout, residual, LayerNorm: the "output" block that follows attention and the FFN. */
function addAndNorm(P: Params, p: string, c: BertConfig, x: Tensor, residual: Tensor, training: boolean): Tensor {
  const y = T.dropout(T.linear(x, param(P, `${p}dense.weight`), param(P, `${p}dense.bias`)), c.hidden_dropout_prob, training);
  return T.layerNorm(T.add(y, residual), param(P, `${p}LayerNorm.weight`), param(P, `${p}LayerNorm.bias`), c.layer_norm_eps);
}

function layer(P: Params, i: number, c: BertConfig, h: Tensor, bias: Tensor, training: boolean): Tensor {
  const p = `encoder.layer.${i}.`;
  const context = selfAttention(P, `${p}attention.self.`, c, h, bias, training);
  const attended = addAndNorm(P, `${p}attention.output.`, c, context, h, training);
  const inner = activation(c.hidden_act, T.linear(attended, param(P, `${p}intermediate.dense.weight`), param(P, `${p}intermediate.dense.bias`)));
  return addAndNorm(P, `${p}output.`, c, inner, attended, training);
}

/** gelu: x·Φ(x) (erf); relu; gelu_new / gelu_pytorch_tanh: 0.5x(1 + tanh(√(2/π)(x + 0.044715x³))). */
export function activation(kind: string, x: Tensor): Tensor {
  if (kind === 'gelu') return T.gelu(x);
  if (kind === 'relu') return T.relu(x);
  const inner = T.mul(T.add(x, T.mul(T.pow(x, 3), 0.044715)), Math.sqrt(2 / Math.PI));
  return T.mul(T.mul(x, 0.5), T.add(T.tanh(inner), 1));
}

/** Sequence output [B, L, hidden]. */
export function bertForward(P: Params, c: BertConfig, x: EncoderInputs, training: boolean): Tensor {
  const dtype = param(P, 'embeddings.LayerNorm.weight').dtype === 'float64' ? 'float64' : 'float32';
  const bias = attentionBias(x.attentionMask, dtype);
  let h = embeddings(P, c, x, training);
  for (let i = 0; i < c.num_hidden_layers; i++) h = layer(P, i, c, h, bias, training);
  return h;
}

/** BERT's pooler: tanh(W · h[CLS] + b), ERNIE's pooled output. */
export function bertPooler(P: Params, sequence: Tensor): Tensor {
  return T.tanh(T.linear(T.select(sequence, 1, 0), param(P, 'pooler.dense.weight'), param(P, 'pooler.dense.bias')));
}
