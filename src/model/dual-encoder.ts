// The dual encoder: one BERT shared by queries and titles, then
// pooling -> emb_reduce_linear (hidden -> output_emb_size) -> dropout -> L2 normalisation.
import * as T from '../torch/index.js';
import type { Tensor } from '../torch/index.js';
import type { BertTokenizer } from '../text/bert-tokenizer.js';
import { padBatch, type PaddedBatch } from '../text/collate.js';
import { bertForward, type Params } from './bert.js';
import { dualEncoderParameterShapes, PROJECTION_BIAS, PROJECTION_WEIGHT } from './parameter-shapes.js';
export { dualEncoderParameterShapes, PROJECTION_BIAS, PROJECTION_WEIGHT };
import { embeddingSize, type ModelConfig } from './config.js';
import { pool } from './pooling.js';



/** Random initialisation as BERT: N(0, initializer_range) weights, zero biases, unit LayerNorm, zero padding row. */
export function initialParameter(name: string, shape: number[], config: ModelConfig): Tensor {
  if (name.endsWith('LayerNorm.weight')) return T.ones(shape);
  if (name.endsWith('.bias')) return T.zeros(shape);
  const t = T.zeros(shape);
  T.normal_(t, 0, config.initializer_range);
  if (name === 'embeddings.word_embeddings.weight') T.fill_(T.select(t, 0, config.pad_token_id), 0);
  return t;
}

export class DualEncoder {
  constructor(
    readonly config: ModelConfig,
    readonly params: Params,
    readonly tokenizer: BertTokenizer,
  ) {}

  static random(config: ModelConfig, tokenizer: BertTokenizer, seed = 42): DualEncoder {
    if (tokenizer.vocabSize !== config.vocab_size) {
      throw new Error(`vocabulary has ${tokenizer.vocabSize} tokens but config.vocab_size is ${config.vocab_size}`);
    }
    T.manualSeed(seed);
    const params: Params = new Map();
    for (const [name, shape] of dualEncoderParameterShapes(config)) params.set(name, T.keep(initialParameter(name, shape, config)));
    return new DualEncoder(config, params, tokenizer);
  }

  /** Size of the embeddings (output_emb_size, or the hidden size without a projection). */
  get dim(): number { return embeddingSize(this.config); }

  /** Parameters that receive gradients: the pooler only when it is used. */
  trainableParameters(): [string, Tensor][] {
    return [...this.params].filter(([name]) => this.config.inbatch.pooling === 'pooler' || !name.startsWith('pooler.'));
  }

  setTrainable(on: boolean): void {
    for (const [, p] of this.trainableParameters()) T.setRequiresGrad(p, on);
  }

  /** Normalised embeddings [B, dim] of a padded batch. */
  forward(batch: PaddedBatch, training: boolean): Tensor {
    const shape = [batch.batchSize, batch.seqLength];
    const inputs = {
      inputIds: T.fromData(batch.inputIds, shape),
      tokenTypeIds: T.fromData(batch.tokenTypeIds, shape),
      attentionMask: T.fromData(batch.attentionMask, shape),
    };
    const sequence = bertForward(this.params, this.config, inputs, training);
    let v = pool(this.config.inbatch.pooling, this.params, sequence, inputs.attentionMask);
    const w = this.params.get(PROJECTION_WEIGHT);
    if (w) v = T.linear(v, w, this.params.get(PROJECTION_BIAS));
    v = T.dropout(v, this.config.inbatch.dropout, training);
    return T.l2Normalize(v, -1);
  }

  /** Tokenises and pads texts with this model's tokenizer and max_seq_length. */
  batch(texts: string[], maxSeqLength = this.config.inbatch.max_seq_length): PaddedBatch {
    return padBatch(texts.map((t) => this.tokenizer.encode(t, maxSeqLength)), this.tokenizer.padId);
  }

  /** Inference: embeddings of texts in the given order, batched by similar length. */
  embed(texts: string[], batchSize = 64): Float32Array[] {
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batch size must be a positive integer, got ${batchSize}`);
    const encodings = texts.map((t) => this.tokenizer.encode(t, this.config.inbatch.max_seq_length));
    const order = encodings.map((_, i) => i).sort((a, b) => encodings[a]!.inputIds.length - encodings[b]!.inputIds.length);
    const out: Float32Array[] = new Array(texts.length);
    const dim = this.dim;
    for (let start = 0; start < order.length; start += batchSize) {
      const idx = order.slice(start, start + batchSize);
      const flat = T.tidy(() => T.noGrad(() => T.toFloat32(this.forward(padBatch(idx.map((i) => encodings[i]!), this.tokenizer.padId), false))));
      idx.forEach((i, row) => { out[i] = flat.slice(row * dim, (row + 1) * dim); });
    }
    return out;
  }

  /** A copy with parameters cast to another dtype (float64 for gradient checks). */
  cast(dtype: 'float32' | 'float64'): DualEncoder {
    const params: Params = new Map();
    for (const [name, p] of this.params) params.set(name, T.keep(T.toDtype(T.detach(p), dtype)));
    return new DualEncoder(this.config, params, this.tokenizer);
  }

  dispose(): void {
    for (const p of this.params.values()) p.dispose();
  }
}
