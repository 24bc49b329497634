// Inference on onnxruntime-node: no libtorch needed. Loads a folder written by `inbatch export`.
import { existsSync } from 'node:fs';
import { lazyModule } from '../util/lazy-module.js';
import { join } from 'node:path';
import type * as Ort from 'onnxruntime-node';
import { readModelConfig } from '../model/config-file.js';
import type { ModelConfig } from '../model/config.js';
import type { BertTokenizer, Encoding } from '../text/bert-tokenizer.js';
import { padBatch } from '../text/collate.js';
import { loadTokenizer } from '../text/load-tokenizer.js';

const onnxruntime = lazyModule<typeof Ort>('onnxruntime-node');

export interface EmbedderOptions {
  precision: 'fp32' | 'fp16' | 'q8';
  /** intra-op threads (default: onnxruntime's choice) */
  threads?: number;
  provider: 'cpu' | 'cuda';
  batchSize: number;
}

export interface Similarity { text: string; similarity: number }

export class Embedder {
  private constructor(
    private readonly ort: typeof Ort,
    private readonly session: Ort.InferenceSession,
    readonly tokenizer: BertTokenizer,
    readonly config: ModelConfig,
    readonly dim: number,
    readonly options: EmbedderOptions,
  ) {}

  static async load(dir: string, options: Partial<EmbedderOptions> = {}): Promise<Embedder> {
    const o: EmbedderOptions = { precision: 'fp32', provider: 'cpu', batchSize: 64, ...options };
    const file = join(dir, 'onnx', { fp32: 'model.onnx', fp16: 'model_fp16.onnx', q8: 'model_quantized.onnx' }[o.precision]);
    if (!existsSync(file)) throw new Error(`${file} not found (inbatch export --model DIR --output ${dir}${{ fp32: '', fp16: ' --fp16', q8: ' --quantize' }[o.precision]})`);
    const ort = onnxruntime();
    if (o.threads !== undefined && (!Number.isInteger(o.threads) || o.threads < 1 || o.threads > 256)) throw new RangeError(`threads must be an integer in [1, 256], got ${o.threads}`);
    if (!Number.isInteger(o.batchSize) || o.batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${o.batchSize}`);
    let session: Ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(file, {
        executionProviders: [o.provider],
        ...(o.threads ? { intraOpNumThreads: o.threads, interOpNumThreads: 1 } : {}),
        graphOptimizationLevel: 'all',
      });
    } catch (e) {
      throw new Error(`${file}: onnxruntime could not open it (${(e as Error).message.split('\n')[0]})`);
    }
    const config = readModelConfig(dir);
    const dim = config.inbatch.dimensions ?? (config.inbatch.output_emb_size > 0 ? config.inbatch.output_emb_size : config.hidden_size);
    return new Embedder(ort, session, loadTokenizer(dir), config, dim, o);
  }

  /** L2-normalised embeddings in input order; batches are formed from texts of similar length. */
  async embed(texts: string[]): Promise<Float32Array[]> {
    const maxLen = this.config.inbatch.max_seq_length;
    return this.embedEncoded(texts.map((t) => this.tokenizer.encode(t, maxLen)));
  }

  /** embed() of texts already tokenised (at most max_seq_length tokens each): a server tokenises once and counts from the ids. */
  async embedEncoded(encodings: Encoding[]): Promise<Float32Array[]> {
    const maxLen = this.config.inbatch.max_seq_length;
    const long = encodings.findIndex((e) => e.inputIds.length > maxLen);
    if (long >= 0) throw new RangeError(`encoding ${long} has ${encodings[long]!.inputIds.length} tokens, more than max_seq_length ${maxLen}`);
    const order = encodings.map((_, i) => i).sort((a, b) => encodings[a]!.inputIds.length - encodings[b]!.inputIds.length);
    const out: Float32Array[] = new Array(encodings.length);
    for (let start = 0; start < order.length; start += this.options.batchSize) {
      const idx = order.slice(start, start + this.options.batchSize);
      const b = padBatch(idx.map((i) => encodings[i]!), this.tokenizer.padId);
      const dims = [b.batchSize, b.seqLength];
      // only the pooled output: the per-token ones are not computed for it
      const feeds = this.feeds(b, dims);
      const result = this.session.outputNames.includes('embeddings') ? await this.session.run(feeds, ['embeddings']) : await this.session.run(feeds);
      const output = result.embeddings;
      if (!output) throw new Error(`the ONNX graph has no "embeddings" output (outputs: ${Object.keys(result).join(', ')})`);
      // the graph decides the dimension; a config.json that disagrees with it is refused, never sliced
      if (output.dims.length !== 2 || output.dims[0] !== idx.length || output.dims[1] !== this.dim) {
        throw new Error(`the ONNX graph returned embeddings of shape [${output.dims}], but config.json says ${this.dim} dimensions for ${idx.length} texts`);
      }
      const flat = output.data as Float32Array;
      idx.forEach((i, row) => { out[i] = flat.slice(row * this.dim, (row + 1) * this.dim); });
    }
    return out;
  }

  /** Whether the graph has per-token hidden states (exports from before it had none). */
  get hasTokenEmbeddings(): boolean {
    return this.session.outputNames.includes('token_embeddings');
  }

  /**
   * The encoder's last hidden states of each text's real tokens ([CLS] and [SEP] included, padding left
   * out): a [tokens x hidden] row-major array per text, in input order.
   */
  async tokenEmbeddings(encodings: Encoding[]): Promise<{ tokens: number; hidden: number; data: Float32Array }[]> {
    if (!this.hasTokenEmbeddings) throw new Error('this export has no token_embeddings output: export the model again with this inbatch');
    const out: { tokens: number; hidden: number; data: Float32Array }[] = [];
    for (let start = 0; start < encodings.length; start += this.options.batchSize) {
      const part = encodings.slice(start, start + this.options.batchSize);
      const b = padBatch(part, this.tokenizer.padId);
      const dims = [b.batchSize, b.seqLength];
      const t = (await this.session.run(this.feeds(b, dims), ['token_embeddings'])).token_embeddings!;
      const hidden = t.dims[2]!;
      const flat = t.data as Float32Array;
      part.forEach((e, row) => {
        const tokens = e.inputIds.length;
        out.push({ tokens, hidden, data: flat.slice(row * b.seqLength * hidden, (row * b.seqLength + tokens) * hidden) });
      });
    }
    return out;
  }

  private feeds(b: ReturnType<typeof padBatch>, dims: number[]): Record<string, Ort.Tensor> {
    return {
      input_ids: new this.ort.Tensor('int64', b.inputIds, dims),
      attention_mask: new this.ort.Tensor('int64', b.attentionMask, dims),
      token_type_ids: new this.ort.Tensor('int64', b.tokenTypeIds, dims),
    };
  }

  /** Cosine similarity of the query to each text, in the order given. */
  async similarity(query: string, texts: string[]): Promise<Similarity[]> {
    const [q, ...rest] = await this.embed([query, ...texts]);
    return texts.map((text, i) => ({ text, similarity: dot(q!, rest[i]!) }));
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}
