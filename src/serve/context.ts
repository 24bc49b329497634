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
export type ServingEmbedder = Pick<Embedder, 'dim' | 'tokenizer' | 'config' | 'embedEncoded'> & { options: Pick<Embedder['options'], 'precision'> };

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
  async encode(texts: string[], overLimit = false): Promise<Encoding[]> {
    const limit = overLimit ? this.maxLen + 1 : this.maxLen;
    const out: Encoding[] = [];
    // tokenising yields to the event loop every few milliseconds: one large request never stalls /health
    let since = performance.now();
    for (const t of texts) {
      out.push(this.embedder.tokenizer.encode(t, limit));
      if (performance.now() - since > YIELD_EVERY_MS) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        since = performance.now();
      }
    }
    return out;
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
