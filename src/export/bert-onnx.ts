// The dual encoder as an ONNX graph, op for op the same as src/model/bert.ts:
// embeddings -> N x (attention, add & norm, FFN, add & norm) -> pooling -> projection -> L2.
// fp16: weights and matmuls in float16; LayerNorm, Softmax, the pooling sums and the final
// normalisation run in float32 (Cast around them); inputs are int64 and the output float32.
// q8 (dynamic int8, as onnxruntime's quantize_dynamic): every weight MatMul takes int8 weights,
// symmetric per output channel, and activations quantized to uint8 at run time
// (DynamicQuantizeLinear -> MatMulInteger -> scale); embeddings, LayerNorm, Softmax, attention
// products, pooling and normalisation stay float32.
import { taskTypeId, type ModelConfig } from '../model/config.js';
import { transposed, type NamedArray } from '../weights/safetensors.js';
import { toHalf } from '../util/float16.js';
import { FLOAT, FLOAT16, GraphBuilder, INT64 } from './onnx-builder.js';

export interface ExportOptions {
  fp16: boolean;
  opset: number;
  /** dynamic int8 quantization of the weight matmuls */
  q8?: boolean;
  /** a Matryoshka prefix: the graph outputs the first D values of the projection, renormalised */
  dimensions?: number;
}

/** Symmetric per-column int8: W [in, out] -> q [in, out] and one scale per output column. */
export function quantizePerColumn(w: Float32Array, rows: number, cols: number): { q: Int8Array; scale: Float32Array } {
  const scale = new Float32Array(cols);
  for (let c = 0; c < cols; c++) {
    let m = 0;
    for (let r = 0; r < rows; r++) m = Math.max(m, Math.abs(w[r * cols + c]!));
    scale[c] = m > 0 ? m / 127 : 1;
  }
  const q = new Int8Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) q[r * cols + c] = Math.max(-127, Math.min(127, Math.round(w[r * cols + c]! / scale[c]!)));
  return { q, scale };
}

export function buildEncoderGraph(config: ModelConfig, weights: Map<string, NamedArray>, o: ExportOptions): Uint8Array {
  const g = new GraphBuilder();
  const half = o.fp16;
  const get = (name: string) => {
    const t = weights.get(name);
    if (!t) throw new Error(`weights lack ${name}`);
    return t;
  };
  const w = (name: string, data: Float32Array, dims: number[], keepFloat = false) => g.weight(name, half && !keepFloat ? toHalf(data) : data, dims);
  const toFloat = (x: string) => (half ? g.op('Cast', [x], { to: FLOAT }) : x);
  const toCompute = (x: string) => (half ? g.op('Cast', [x], { to: FLOAT16 }) : x);
  const H = config.hidden_size, heads = config.num_attention_heads, d = H / heads;

  const linear = (x: string, prefix: string, out: number, inp: number) => {
    const bias = w(`${prefix}.bias`, get(`${prefix}.bias`).data, [out]);
    if (o.q8) {
      const { q, scale } = quantizePerColumn(transposed(get(`${prefix}.weight`)).data, inp, out);
      const [xq, xScale, xZero] = g.ops('DynamicQuantizeLinear', [x], {}, 3) as [string, string, string];
      const product = g.op('MatMulInteger', [xq, g.int8(`${prefix}.weight_q`, q, [inp, out]), xZero]);
      const scales = g.op('Mul', [xScale, g.weight(`${prefix}.weight_scale`, scale, [out])]);
      return g.op('Add', [g.op('Mul', [g.op('Cast', [product], { to: FLOAT }), scales]), bias]);
    }
    const wt = w(`${prefix}.weight_t`, transposed(get(`${prefix}.weight`)).data, [inp, out]);
    return g.op('Add', [g.op('MatMul', [x, wt]), bias]);
  };
  const layerNorm = (x: string, prefix: string) => toCompute(g.op('LayerNormalization', [
    toFloat(x), w(`${prefix}.weight`, get(`${prefix}.weight`).data, [H], true), w(`${prefix}.bias`, get(`${prefix}.bias`).data, [H], true),
  ], { axis: -1, epsilon: config.layer_norm_eps }));

  const activation = (x: string): string => {
    switch (config.hidden_act) {
      case 'relu': return g.op('Relu', [x]);
      case 'gelu_new': case 'gelu_pytorch_tanh': {
        // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
        const cube = g.op('Mul', [g.op('Mul', [x, x]), x]);
        const inner = g.op('Mul', [g.op('Add', [x, g.op('Mul', [cube, g.scalar(0.044715, half)])]), g.scalar(Math.sqrt(2 / Math.PI), half)]);
        return g.op('Mul', [g.op('Mul', [x, g.scalar(0.5, half)]), g.op('Add', [g.op('Tanh', [inner]), g.scalar(1, half)])]);
      }
      default: // exact GELU: 0.5 x (1 + erf(x / sqrt 2))
        return g.op('Mul', [g.op('Mul', [x, g.scalar(0.5, half)]), g.op('Add', [g.op('Erf', [g.op('Mul', [x, g.scalar(Math.SQRT1_2, half)])]), g.scalar(1, half)])]);
    }
  };

  const ids = g.input('input_ids', INT64, ['batch', 'sequence']);
  const mask = g.input('attention_mask', INT64, ['batch', 'sequence']);
  const types = g.input('token_type_ids', INT64, ['batch', 'sequence']);

  // embeddings
  const seqLen = g.op('Gather', [g.op('Shape', [ids]), g.int64s([1], [])], { axis: 0 });
  const positions = g.op('Range', [g.int64s([0], []), seqLen, g.int64s([1], [])]);
  const emb = (name: string, index: string) => g.op('Gather', [w(name, get(name).data, get(name).shape), index], { axis: 0 });
  let h = g.op('Add', [g.op('Add', [emb('embeddings.word_embeddings.weight', ids), emb('embeddings.position_embeddings.weight', positions)]),
    emb('embeddings.token_type_embeddings.weight', types)]);
  const task = taskTypeId(config);
  if (task !== undefined) {
    // ERNIE's task type is the same for every token: its row is a constant added to all
    const table = get('embeddings.task_type_embeddings.weight');
    h = g.op('Add', [h, w('embeddings.task_type_row', table.data.slice(task * H, (task + 1) * H), [H])]);
  }
  h = layerNorm(h, 'embeddings.LayerNorm');

  // [B, L] mask -> [B, 1, 1, L] additive bias (0 or -10000), in float32 for the softmax
  const maskFloat = g.op('Cast', [mask], { to: FLOAT });
  const bias = g.op('Unsqueeze', [g.op('Mul', [g.op('Sub', [maskFloat, g.scalar(1, false)]), g.scalar(10000, false)]), g.int64s([1, 2])]);
  const headShape = g.int64s([0, 0, heads, d]);
  const hiddenShape = g.int64s([0, 0, H]);

  for (let i = 0; i < config.num_hidden_layers; i++) {
    const p = `encoder.layer.${i}.`;
    const split = (x: string, perm: number[]) => g.op('Transpose', [g.op('Reshape', [x, headShape])], { perm });
    const q = split(linear(h, `${p}attention.self.query`, H, H), [0, 2, 1, 3]);
    const k = split(linear(h, `${p}attention.self.key`, H, H), [0, 2, 3, 1]);
    const v = split(linear(h, `${p}attention.self.value`, H, H), [0, 2, 1, 3]);
    const scores = g.op('Add', [toFloat(g.op('Mul', [g.op('MatMul', [q, k]), g.scalar(1 / Math.sqrt(d), half)])), bias]);
    const probs = toCompute(g.op('Softmax', [scores], { axis: -1 }));
    const context = g.op('Reshape', [g.op('Transpose', [g.op('MatMul', [probs, v])], { perm: [0, 2, 1, 3] }), hiddenShape]);
    const attended = layerNorm(g.op('Add', [linear(context, `${p}attention.output.dense`, H, H), h]), `${p}attention.output.LayerNorm`);
    const inner = linear(attended, `${p}intermediate.dense`, config.intermediate_size, H);
    h = layerNorm(g.op('Add', [linear(activation(inner), `${p}output.dense`, H, config.intermediate_size), attended]), `${p}output.LayerNorm`);
  }

  // the encoder's last hidden states, one per token, before pooling (TEI's /embed_all serves them)
  g.output(g.rename(g.op('Identity', [toFloat(h)]), 'token_embeddings'), FLOAT, ['batch', 'sequence', H]);

  // pooling
  let pooled: string;
  const cls = () => g.op('Gather', [h, g.int64s([0], [])], { axis: 1 });
  switch (config.inbatch.pooling) {
    case 'cls': pooled = cls(); break;
    case 'pooler': pooled = g.op('Tanh', [linear(cls(), 'pooler.dense', H, H)]); break;
    case 'mean': {
      const m = g.op('Unsqueeze', [maskFloat, g.int64s([2])]);
      const total = g.op('ReduceSum', [g.op('Mul', [toFloat(h), m]), g.int64s([1])], { keepdims: 0 });
      const count = g.op('Max', [g.op('ReduceSum', [m, g.int64s([1])], { keepdims: 0 }), g.scalar(1e-9, false)]);
      pooled = toCompute(g.op('Div', [total, count]));
      break;
    }
  }
  if (config.inbatch.output_emb_size > 0) pooled = linear(pooled, 'emb_reduce_linear', config.inbatch.output_emb_size, H);
  const full = config.inbatch.output_emb_size > 0 ? config.inbatch.output_emb_size : H;
  const dim = o.dimensions !== undefined && o.dimensions < full ? o.dimensions : full;
  let v32 = toFloat(pooled);
  if (dim < full) v32 = g.op('Slice', [v32, g.int64s([0]), g.int64s([dim]), g.int64s([1])]);
  const squares = g.op('ReduceSum', [g.op('Mul', [v32, v32]), g.int64s([-1])], { keepdims: 1 });
  const norm = g.op('Max', [g.op('Sqrt', [squares]), g.scalar(1e-12, false)]);
  const out = g.rename(g.op('Div', [v32, norm]), 'embeddings');
  g.output(out, FLOAT, ['batch', dim]);
  // transformers.js' feature-extraction pipeline (and sentence-transformers' ONNX backend) read
  // last_hidden_state [batch, tokens, dim] and pool it themselves, with the attention mask. The finished
  // embedding copied to every token, in the mask's shape, makes each pooling mode (none, cls, first or
  // last token, mean over the mask) return inbatch's embedding; a shorter tensor makes mean pooling read
  // the mask at the wrong offsets (NaN rows when a batch's first text is short)
  const tokensShape = g.op('Concat', [g.op('Shape', [mask]), g.int64s([dim])], { axis: 0 });
  const asSequence = g.rename(g.op('Expand', [g.op('Unsqueeze', [out, g.int64s([1])]), tokensShape]), 'last_hidden_state');
  g.output(asSequence, FLOAT, ['batch', 'sequence', dim]);
  // what a consumer needs to use the output without reading config.json
  return g.encode('inbatch-dual-encoder', o.opset, 'inbatch', {
    pooling: config.inbatch.pooling, normalized: 'l2', dimension: String(dim), max_seq_length: String(config.inbatch.max_seq_length),
    model_type: config.model_type, precision: o.q8 ? 'q8' : o.fp16 ? 'fp16' : 'fp32',
    ...(dim < full ? { full_dimension: String(full) } : {}),
    ...(config.inbatch.matryoshka ? { matryoshka_dims: config.inbatch.matryoshka.dims.join(','), matryoshka_recall_at_10: JSON.stringify(config.inbatch.matryoshka.recall_at_10 ?? {}) } : {}),
  });
}
