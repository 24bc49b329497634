// Any transformers.js / Optimum ONNX folder as an embedder, for baselines ("a general model vs my
// fine-tuned one"): a BERT-style WordPiece tokenizer (vocab.txt or tokenizer.json), onnx/model.onnx
// (or model.onnx), and the model's own pooling:
//   output   `sentence_embedding` or `embeddings` when the graph pools (inbatch's exports do);
//            otherwise `last_hidden_state` [batch, tokens, dim], pooled here
//   pooling  --pooling, else 1_Pooling/config.json (cls_token or mean_tokens), else mean
//   prompts  --query-prefix / --document-prefix, else config_sentence_transformers.json's
//            prompts (query, and document or passage)
// Vectors are L2-normalised (every index here searches by inner product).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type * as Ort from 'onnxruntime-node';
import type { Encoding } from '../text/bert-tokenizer.js';
import type { BertTokenizer } from '../text/bert-tokenizer.js';
import { padBatch } from '../text/collate.js';
import { loadTokenizer } from '../text/load-tokenizer.js';
import { readJsonObject } from '../util/json-file.js';
import { lazyModule } from '../util/lazy-module.js';

const onnxruntime = lazyModule<typeof Ort>('onnxruntime-node');

export type FolderPooling = 'cls' | 'mean';

export interface OnnxFolderOptions {
  pooling?: FolderPooling;
  queryPrefix?: string;
  documentPrefix?: string;
  /** tokens per text; default the tokenizer's model_max_length or the config's positions, at most 512 */
  maxSeqLength?: number;
  batchSize: number;
  threads?: number;
}

export class OnnxFolderEmbedder {
  private constructor(
    private readonly ort: typeof Ort, private readonly session: Ort.InferenceSession, readonly tokenizer: BertTokenizer,
    readonly dim: number, readonly pooling: FolderPooling, readonly maxSeqLength: number,
    readonly prefixes: { query: string; document: string }, private readonly o: OnnxFolderOptions, private readonly output: string,
  ) {}

  static async load(dir: string, options: Partial<OnnxFolderOptions> = {}): Promise<OnnxFolderEmbedder> {
    const o: OnnxFolderOptions = { batchSize: 32, ...options };
    const file = [join(dir, 'onnx', 'model.onnx'), join(dir, 'model.onnx')].find(existsSync);
    if (!file) throw new Error(`${dir}: no onnx/model.onnx or model.onnx (an ONNX folder as transformers.js and Optimum write it)`);
    const ort = onnxruntime();
    let session: Ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(file, { graphOptimizationLevel: 'all', ...(o.threads ? { intraOpNumThreads: o.threads, interOpNumThreads: 1 } : {}) });
    } catch (e) {
      throw new Error(`${file}: onnxruntime could not open it (${(e as Error).message.split('\n')[0]})`);
    }
    for (const input of session.inputNames) {
      if (!['input_ids', 'attention_mask', 'token_type_ids'].includes(input)) throw new Error(`${file}: input "${input}" is not one a BERT-style encoder takes (input_ids, attention_mask, token_type_ids)`);
    }
    const output = ['sentence_embedding', 'embeddings', 'last_hidden_state'].find((n) => session.outputNames.includes(n));
    if (!output) throw new Error(`${file}: no sentence_embedding, embeddings or last_hidden_state output (outputs: ${session.outputNames.join(', ')})`);
    const tokenizer = loadTokenizer(dir);
    const maxSeqLength = o.maxSeqLength ?? defaultLength(dir);
    const pooling = o.pooling ?? folderPooling(dir) ?? 'mean';
    const prompts = folderPrompts(dir);
    const prefixes = { query: o.queryPrefix ?? prompts.query ?? '', document: o.documentPrefix ?? prompts.document ?? '' };
    const embedder = new OnnxFolderEmbedder(ort, session, tokenizer, 0, pooling, maxSeqLength, prefixes, o, output);
    const [probe] = await embedder.run([tokenizer.encode('dimension', maxSeqLength)]);
    return new OnnxFolderEmbedder(ort, session, tokenizer, probe!.length, pooling, maxSeqLength, prefixes, o, output);
  }

  /** Documents (the corpus), with the document prefix. */
  embed(texts: string[]): Promise<Float32Array[]> {
    return this.embedWith(this.prefixes.document, texts);
  }

  /** Queries, with the query prefix. */
  embedQueries(texts: string[]): Promise<Float32Array[]> {
    return this.embedWith(this.prefixes.query, texts);
  }

  private async embedWith(prefix: string, texts: string[]): Promise<Float32Array[]> {
    const encodings = texts.map((t) => this.tokenizer.encode(prefix + t, this.maxSeqLength));
    const order = encodings.map((_, i) => i).sort((a, b) => encodings[a]!.inputIds.length - encodings[b]!.inputIds.length);
    const out: Float32Array[] = new Array(texts.length);
    for (let start = 0; start < order.length; start += this.o.batchSize) {
      const idx = order.slice(start, start + this.o.batchSize);
      const vectors = await this.run(idx.map((i) => encodings[i]!));
      idx.forEach((i, row) => { out[i] = vectors[row]!; });
    }
    return out;
  }

  private async run(encodings: Encoding[]): Promise<Float32Array[]> {
    const b = padBatch(encodings, this.tokenizer.padId);
    const dims = [b.batchSize, b.seqLength];
    const feeds: Record<string, Ort.Tensor> = {};
    if (this.session.inputNames.includes('input_ids')) feeds.input_ids = new this.ort.Tensor('int64', b.inputIds, dims);
    if (this.session.inputNames.includes('attention_mask')) feeds.attention_mask = new this.ort.Tensor('int64', b.attentionMask, dims);
    if (this.session.inputNames.includes('token_type_ids')) feeds.token_type_ids = new this.ort.Tensor('int64', b.tokenTypeIds, dims);
    const t = (await this.session.run(feeds))[this.output]!;
    const data = t.data as Float32Array;
    const rows = encodings.length;
    if (t.dims.length === 2 || (t.dims.length === 3 && t.dims[1] === 1)) {
      const d = Number(t.dims.at(-1));
      return Array.from({ length: rows }, (_, r) => normalised(data.slice(r * d, (r + 1) * d)));
    }
    if (t.dims.length !== 3 || t.dims[1] !== b.seqLength) throw new Error(`${this.output} has shape [${t.dims}], not [batch, ${b.seqLength}, dim]`);
    const d = Number(t.dims[2]), len = b.seqLength;
    return Array.from({ length: rows }, (_, r) => {
      const v = new Float32Array(d);
      if (this.pooling === 'cls') v.set(data.subarray(r * len * d, r * len * d + d));
      else {
        let n = 0;
        for (let k = 0; k < len; k++) {
          if (b.attentionMask[r * len + k] === 0n) continue;
          n++;
          for (let j = 0; j < d; j++) v[j]! += data[(r * len + k) * d + j]!;
        }
        for (let j = 0; j < d; j++) v[j]! /= Math.max(1, n);
      }
      return normalised(v);
    });
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

function normalised(v: Float32Array): Float32Array {
  let s = 0;
  for (const x of v) s += x * x;
  const n = Math.sqrt(s) || 1;
  for (let i = 0; i < v.length; i++) v[i]! /= n;
  return v;
}

function optionalJson(path: string): Record<string, unknown> | undefined {
  return existsSync(path) ? readJsonObject(path) : undefined;
}

/** The folder's sentence-transformers pooling (1_Pooling/config.json), when it says one this reader does. */
function folderPooling(dir: string): FolderPooling | undefined {
  const c = optionalJson(join(dir, '1_Pooling', 'config.json'));
  if (!c) return undefined;
  if (c.pooling_mode_cls_token === true) return 'cls';
  if (c.pooling_mode_mean_tokens === true) return 'mean';
  throw new Error(`${join(dir, '1_Pooling', 'config.json')}: a pooling other than cls_token or mean_tokens; give --pooling cls or mean`);
}

/** Every prompt of a folder's config_sentence_transformers.json, by name (TEI's prompt_name). */
export function folderPromptTable(dir: string): Record<string, string> {
  const prompts = optionalJson(join(dir, 'config_sentence_transformers.json'))?.prompts;
  if (typeof prompts !== 'object' || prompts === null || Array.isArray(prompts)) return {};
  return Object.fromEntries(Object.entries(prompts).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

function folderPrompts(dir: string): { query?: string; document?: string } {
  const prompts = optionalJson(join(dir, 'config_sentence_transformers.json'))?.prompts as Record<string, unknown> | undefined;
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  return { query: str(prompts?.query), document: str(prompts?.document) ?? str(prompts?.passage) };
}

function defaultLength(dir: string): number {
  const tc = optionalJson(join(dir, 'tokenizer_config.json'));
  const st = optionalJson(join(dir, 'sentence_bert_config.json'));
  const config = optionalJson(join(dir, 'config.json'));
  const inbatch = config?.inbatch as Record<string, unknown> | undefined;
  const candidates = [st?.max_seq_length, inbatch?.max_seq_length, tc?.model_max_length, config?.max_position_embeddings].filter((v): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 2);
  return Math.min(512, candidates[0] ?? 512);
}
