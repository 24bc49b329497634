// What every route shares, built once per server: the options, the embedder behind its
// micro-batcher, and tokenising. Each text is tokenised once, in the route; the token counts that
// budgets, usage and truncation checks need are read from those ids, and the ids are what the
// model embeds.
import type { FastifyBaseLogger, FastifyInstance, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify';
import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts';
import type { Embedder } from '../infer/embedder.js';
import { checkDimension } from '../vectors/dimensions.js';
import type { CorpusIndex } from '../retrieval/corpus-index.js';
import type { FusionFit } from '../retrieval/fusion-calibration.js';
import type { HybridOptions, RetrieverKind } from '../retrieval/retriever.js';
import type { TextEmbedder } from '../retrieval/text-embedder.js';
import type { Encoding } from '../text/bert-tokenizer.js';
import { Metrics } from './metrics.js';
import { MicroBatcher } from './micro-batcher.js';

/** The server's Fastify instance: request bodies are typed from each route's JSON schema. */
export type ServerApp = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, JsonSchemaToTsProvider>;

/** What the server needs of an Embedder: its tokenizer and config count tokens and name the model. */
export type ServingEmbedder = Pick<Embedder, 'dim' | 'tokenizer' | 'config' | 'embedEncoded'> & { options: Pick<Embedder['options'], 'precision'> }
  & Partial<Pick<Embedder, 'tokenEmbeddings' | 'hasTokenEmbeddings'>>;

/** How TEI's bodies ask for texts to be tokenised: truncate (default: cut), which end to keep, a named prompt. */
export interface TeiTextOptions {
  truncate?: boolean | null;
  truncation_direction?: string;
  prompt_name?: string | null;
}

export interface ServerOptions {
  embedder: ServingEmbedder;
  /** a corpus index (inbatch recall writes one), for /search */
  index?: CorpusIndex;
  /** how /search ranks when the request does not say (default dense) */
  retriever?: RetrieverKind;
  hybrid?: HybridOptions;
  /** what a hybrid request ranks by: the fusion, or the single retriever calibration chose (default hybrid) */
  hybridRanksBy?: RetrieverKind;
  /** the fitted fusion, shown by /info */
  fusion?: FusionFit;
  maxTexts: number;
  /** largest request body in bytes (413 above) */
  bodyLimit: number;
  maxK: number;
  logger?: boolean;
  /** ms a request may take from its first byte to its last (slow bodies are cut off); 0: no limit */
  requestTimeoutMs?: number;
  /** ms an idle or silent connection is kept */
  connectionTimeoutMs?: number;
  /** most open connections (0: no limit) */
  maxConnections?: number;
  /** Bearer token every route but /health and /metrics requires (none: open) */
  apiKey?: string;
  /** embedding requests served at once; more are answered 429 overloaded (0: no limit) */
  maxConcurrentRequests?: number;
  /** Access-Control-Allow-Origin for browsers (none: no CORS headers) */
  corsAllowOrigin?: string;
  /** tokens per model call (TEI's --max-batch-tokens); a request above it is cut into several calls (0: no budget) */
  maxBatchTokens?: number;
  /** serve `dimensions` the model was not trained for (train --matryoshka-dims) */
  allowUntrainedDimensions?: boolean;
  /** the name /v1/embeddings and /info report */
  modelName?: string;
  /** the served folder's README.md (GET /card, shown by the playground) */
  modelCard?: string;
  /** the sha256 of the served model's weights (/info's model_sha) */
  modelSha?: string;
  /** sentence-transformers prompts by name (config_sentence_transformers.json), for TEI's prompt_name */
  prompts?: Record<string, string>;
  logLevel?: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

const YIELD_EVERY_MS = 5;

export const DEFAULT_SERVER = { maxTexts: 2048, bodyLimit: 8 << 20, maxK: 1000, requestTimeoutMs: 30_000, connectionTimeoutMs: 60_000, maxConnections: 1024 };

export class ServeContext {
  readonly embedder: ServingEmbedder;
  readonly maxLen: number;
  readonly maxBatchTokens: number;
  readonly modelName: string;
  readonly metrics: Metrics;
  /** embedding requests being served (for shedding) */
  working = 0;
  /** requests open, counted down when the response closes, whether sent or abandoned */
  inFlight = 0;
  private readonly batcher: MicroBatcher<Encoding>;

  constructor(readonly options: ServerOptions) {
    this.embedder = options.embedder;
    this.maxLen = options.embedder.config.inbatch.max_seq_length;
    this.maxBatchTokens = options.maxBatchTokens ?? 0;
    this.modelName = options.modelName ?? 'inbatch';
    this.metrics = new Metrics(() => this.inFlight - 1); // the /metrics request itself is not counted
    this.batcher = new MicroBatcher((encodings) => this.embedder.embedEncoded(encodings), {
      maxBatch: 64, waitMs: 2, maxTokens: this.maxBatchTokens, countTokens: (e) => e.inputIds.length,
      onBatch: (texts, waiting) => this.metrics.observeBatch(texts, waiting),
    });
  }

  /**
   * Each text as `[CLS] text [SEP]`, cut to max_seq_length tokens; with `overLimit` one token more is
   * kept, so a text too long for TEI's truncate: false shows as max_seq_length + 1 tokens (never more:
   * a text is never tokenised past what is needed).
   */
  async encode(texts: string[], overLimit = false, keep: 'first' | 'last' = 'first'): Promise<Encoding[]> {
    const limit = overLimit ? this.maxLen + 1 : this.maxLen;
    const out: Encoding[] = [];
    // tokenising yields to the event loop every few milliseconds: one large request never stalls /health
    let since = performance.now();
    for (const t of texts) {
      out.push(this.embedder.tokenizer.encode(t, limit, keep));
      if (performance.now() - since > YIELD_EVERY_MS) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        since = performance.now();
      }
    }
    return out;
  }

  /**
   * TEI's text options applied: the named prompt prepended, each text tokenised keeping its first or
   * last tokens. Returns the encodings, or the problem (a validation error) with the field at fault.
   */
  async encodeTei(texts: string[], o: TeiTextOptions): Promise<Encoding[] | { problem: string; param: string }> {
    let prompt = '';
    if (o.prompt_name !== undefined && o.prompt_name !== null) {
      const prompts = this.options.prompts ?? {};
      if (!Object.hasOwn(prompts, o.prompt_name)) {
        const names = Object.keys(prompts);
        return { problem: `prompt_name ${JSON.stringify(o.prompt_name)} is not one of this model's prompts (${names.length ? names.join(', ') : 'it has none'}: config_sentence_transformers.json)`, param: 'prompt_name' };
      }
      prompt = prompts[o.prompt_name]!;
    }
    const keep = (o.truncation_direction ?? 'right').toLowerCase() === 'left' ? 'last' : 'first';
    const encodings = await this.encode(texts.map((t) => prompt + t), o.truncate === false, keep);
    const long = encodings.findIndex((e) => e.inputIds.length > this.maxLen);
    if (long >= 0) return { problem: `inputs[${long}] has more tokens than max_seq_length ${this.maxLen}; send truncate: true to cut it`, param: 'inputs' };
    return encodings;
  }

  /** Embeds through the micro-batcher (inputs of concurrent requests share model calls). */
  embed(encodings: Encoding[]): Promise<Float32Array[]> {
    return this.batcher.submit(encodings);
  }

  /** The texts' tokens, [CLS] and [SEP] included. */
  static tokens(encodings: Encoding[]): number {
    return encodings.reduce((s, e) => s + e.inputIds.length, 0);
  }

  /** Why a requested `dimensions` cannot be served (not one the model was trained for), or undefined. */
  dimensionsProblem(d: number): string | undefined {
    try {
      checkDimension(d, this.embedder.config.inbatch.matryoshka, this.embedder.dim, this.options.allowUntrainedDimensions ?? false, 'dimensions');
      return undefined;
    } catch (e) {
      return (e as Error).message.replace('--allow-untrained-dimensions', 'serve --allow-untrained-dimensions');
    }
  }

  /** The model as a TextEmbedder through the micro-batcher (for /search's dense ranking). */
  get textEmbedder(): TextEmbedder {
    return { dim: this.embedder.dim, embed: async (texts) => this.embed(await this.encode(texts)) };
  }
}
