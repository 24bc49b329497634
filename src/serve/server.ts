// The HTTP service: POST /embed (inbatch's {texts} and TEI's {inputs}), /v1/embeddings (OpenAI),
// /similarity, /search; GET /info (TEI), /health, /metrics. Requests are validated by JSON schema;
// bad input gets 4xx in one error vocabulary (errors.ts) and never crashes the server.
import { timingSafeEqual } from 'node:crypto';
import { createRequire } from 'node:module';
import type { FastifyInstance, FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_STATUS, errorBody, kindOfStatus, type ErrorKind } from './errors.js';
import type { Embedder } from '../infer/embedder.js';
import type { CorpusIndex } from '../retrieval/corpus-index.js';
import { Bm25Retriever, DEFAULT_HYBRID, HybridRetriever, RETRIEVER_KINDS, type HybridOptions, type Retriever, type RetrieverKind } from '../retrieval/retriever.js';
import { Metrics } from './metrics.js';

/** What the server needs of an Embedder (the tokenizer and config, when there, count tokens and name the model). */
export type ServingEmbedder = Pick<Embedder, 'dim' | 'embed'> & { options: Pick<Embedder['options'], 'precision'> } & Partial<Pick<Embedder, 'tokenizer' | 'config'>>;
import { MicroBatcher } from './micro-batcher.js';
import { innerProduct } from '../vectors/inner-product.js';

export interface ServerOptions {
  embedder: ServingEmbedder;
  /** a corpus index (inbatch recall writes one), for /search */
  index?: CorpusIndex;
  /** how /search ranks when the request does not say (default dense) */
  retriever?: RetrieverKind;
  hybrid?: HybridOptions;
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
  /** tokens per model call (TEI's --max-batch-tokens); a request above it is refused 413 (0: no budget) */
  maxBatchTokens?: number;
  /** the name /v1/embeddings and /info report */
  modelName?: string;
  logLevel?: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

export const DEFAULT_SERVER = { maxTexts: 256, bodyLimit: 1 << 20, maxK: 1000, requestTimeoutMs: 30_000, connectionTimeoutMs: 60_000, maxConnections: 1024 };

export function buildServer(o: ServerOptions): FastifyInstance {
  // strict validation: no type coercion ("one" is not ["one"]) and unknown fields are refused, not dropped
  // loaded here, not at import, so that importing the library never loads the HTTP stack
  const Fastify = createRequire(import.meta.url)('fastify') as typeof import('fastify').default;
  const app = Fastify({
    bodyLimit: o.bodyLimit, logger: o.logLevel ? { level: o.logLevel } : o.logger ?? false, ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
    requestTimeout: o.requestTimeoutMs ?? DEFAULT_SERVER.requestTimeoutMs, connectionTimeout: o.connectionTimeoutMs ?? DEFAULT_SERVER.connectionTimeoutMs,
  });
  const maxConnections = o.maxConnections ?? DEFAULT_SERVER.maxConnections;
  if (maxConnections > 0) app.server.maxConnections = maxConnections;
  // counted down when the response closes, whether it was sent or the client went away
  let inFlight = 0;
  const metrics = new Metrics(() => inFlight - 1); // the /metrics request itself is not counted
  const maxBatchTokens = o.maxBatchTokens ?? 0;
  // the batch budget counts characters + 2, a bound on BERT tokens that costs no tokenising (each text is tokenised once, to embed it)
  const seqCap = o.embedder.config?.inbatch.max_seq_length ?? Infinity;
  const batcher = new MicroBatcher((texts) => o.embedder.embed(texts), {
    maxBatch: 64, waitMs: 2, maxTokens: maxBatchTokens, countTokens: (t) => Math.min(t.length + 2, seqCap),
    onBatch: (texts, waiting) => metrics.observeBatch(texts, waiting),
  });
  const texts = { type: 'array', minItems: 1, maxItems: o.maxTexts, items: { type: 'string', minLength: 1 } };

  // while closing, answer in-flight requests with Connection: close so keep-alive sockets do not hold close() open
  let closing = false;
  app.addHook('preClose', async () => { closing = true; });
  app.addHook('onSend', async (_req, reply, payload) => {
    if (closing) void reply.header('connection', 'close');
    return payload;
  });
  app.addHook('onRequest', async (_req, reply) => {
    inFlight++;
    reply.raw.once('close', () => { inFlight--; });
  });
  app.addHook('onResponse', async (req, reply) => {
    metrics.observe(req.routeOptions.url ?? 'unknown', reply.statusCode, reply.elapsedTime / 1000);
  });
  app.setErrorHandler((err: FastifyError, _req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 ? err.statusCode : 500;
    if (status >= 500) app.log.error(err);
    const kind = kindOfStatus(status);
    void reply.status(status).send(errorBody(kind, status >= 500 ? 'the server failed to process the request' : err.message));
  });
  app.setNotFoundHandler((req, reply) => void reply.status(404).send(errorBody('not_found', `no route ${req.method} ${req.url}`)));
  const fail = (reply: FastifyReply, kind: ErrorKind, message: string) => reply.status(ERROR_STATUS[kind]).send(errorBody(kind, message));

  // browsers: CORS headers on every answer, and preflight requests answered here
  if (o.corsAllowOrigin) {
    const origin = o.corsAllowOrigin;
    app.addHook('onRequest', async (req, reply) => {
      void reply.header('access-control-allow-origin', origin).header('vary', 'origin');
      if (req.method === 'OPTIONS') {
        return reply.header('access-control-allow-methods', 'GET, POST, OPTIONS').header('access-control-allow-headers', 'authorization, content-type').status(204).send();
      }
    });
  }
  // Bearer authentication, compared in constant time; /health and /metrics stay open for probes and scrapers
  if (o.apiKey) {
    const expected = Buffer.from(`Bearer ${o.apiKey}`);
    app.addHook('onRequest', async (req, reply) => {
      if (req.method === 'OPTIONS' || ['/health', '/metrics'].includes(req.url.split('?')[0]!)) return;
      const given = Buffer.from(req.headers.authorization ?? '');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        return reply.header('www-authenticate', 'Bearer').status(401).send(errorBody('unauthorized', 'send the API key as "Authorization: Bearer <key>"'));
      }
    });
  }
  // load shedding: embedding work beyond --max-concurrent-requests is refused at once, not queued without bound
  let working = 0;
  const maxWorking = o.maxConcurrentRequests ?? 0;
  const shed = async (_req: FastifyRequest, reply: FastifyReply) => {
    if (maxWorking > 0 && working >= maxWorking) return fail(reply, 'overloaded', `more than ${maxWorking} requests at once; retry later`);
    working++;
    reply.raw.once('close', () => { working--; });
  };
  const maxLen = o.embedder.config?.inbatch.max_seq_length;
  /** tokens a text becomes ([CLS] and [SEP] included), before any truncation; 0 when unknown */
  const tokenCount = (t: string) => (o.embedder.tokenizer ? o.embedder.tokenizer.tokenize(t).length + 2 : 0);
  const modelName = o.modelName ?? 'inbatch';
  /** a request that alone exceeds the token budget can never be batched: refuse it, as TEI does */
  const overBudget = (reply: FastifyReply, list: string[]) => {
    if (!maxBatchTokens || !o.embedder.tokenizer) return undefined;
    // characters + 2 bound the tokens: only a request over the budget by that bound is tokenised to be sure
    if (list.reduce((s, t) => s + Math.min(t.length + 2, maxLen ?? Infinity), 0) <= maxBatchTokens) return undefined;
    const tokens = list.reduce((s, t) => s + Math.min(tokenCount(t), maxLen ?? Infinity), 0);
    return tokens > maxBatchTokens ? fail(reply, 'payload_too_large', `the request has ${tokens} tokens, more than --max-batch-tokens ${maxBatchTokens}`) : undefined;
  };

  // inbatch's {texts} -> {dim, embeddings}; TEI's {inputs, normalize, truncate} -> [[...]]
  const inputs = { anyOf: [{ type: 'string', minLength: 1 }, texts] };
  app.post('/embed', {
    preHandler: shed,
    schema: { body: { type: 'object', additionalProperties: false, properties: { texts, inputs, normalize: { type: 'boolean' }, truncate: { type: 'boolean' } } } },
  }, async (req, reply) => {
    const body = req.body as { texts?: string[]; inputs?: string | string[]; normalize?: boolean; truncate?: boolean };
    if ((body.texts === undefined) === (body.inputs === undefined)) return fail(reply, 'validation', 'body must have required property \'texts\' (inbatch) or \'inputs\' (TEI), not both');
    const list = body.texts ?? (typeof body.inputs === 'string' ? [body.inputs] : body.inputs!);
    const refused = overBudget(reply, list);
    if (refused) return refused;
    if (body.texts) return { dim: o.embedder.dim, embeddings: (await batcher.submit(body.texts)).map((v) => Array.from(v)) };
    if (body.normalize === false) return fail(reply, 'validation', 'this model\'s graph L2-normalises its output; normalize: false cannot be served');
    if (body.truncate === false && maxLen && o.embedder.tokenizer) {
      const long = list.findIndex((t) => tokenCount(t) > maxLen);
      if (long >= 0) return fail(reply, 'validation', `inputs[${long}] has ${tokenCount(list[long]!)} tokens, more than max_seq_length ${maxLen}; send truncate: true to cut it`);
    }
    return (await batcher.submit(list)).map((v) => Array.from(v));
  });

  // OpenAI's embeddings API, so its SDK, LangChain and LlamaIndex work against this server
  app.post('/v1/embeddings', {
    preHandler: shed,
    schema: {
      body: {
        type: 'object', required: ['input'], additionalProperties: false,
        properties: {
          input: inputs, model: { type: 'string' }, encoding_format: { type: 'string', enum: ['float', 'base64'] },
          dimensions: { type: 'integer', minimum: 1 }, user: { type: 'string' },
        },
      },
    },
  }, async (req, reply) => {
    const body = req.body as { input: string | string[]; model?: string; encoding_format?: 'float' | 'base64'; dimensions?: number };
    const list = typeof body.input === 'string' ? [body.input] : body.input;
    const refused = overBudget(reply, list);
    if (refused) return refused;
    const dims = body.dimensions ?? o.embedder.dim;
    if (dims > o.embedder.dim) return fail(reply, 'validation', `dimensions ${dims} exceeds this model's ${o.embedder.dim}`);
    const vectors = (await batcher.submit(list)).map((v) => (dims < v.length ? shorten(v, dims) : v));
    const tokens = list.reduce((s, t) => s + Math.min(tokenCount(t), maxLen ?? Infinity), 0);
    return {
      object: 'list',
      data: vectors.map((v, index) => ({
        object: 'embedding', index,
        embedding: body.encoding_format === 'base64' ? Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') : Array.from(v),
      })),
      model: body.model ?? modelName,
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    };
  });

  app.get('/info', async () => ({
    model_id: modelName, model_sha: null, model_dtype: { fp32: 'float32', fp16: 'float16', q8: 'int8' }[o.embedder.options.precision],
    model_type: { embedding: { pooling: o.embedder.config?.inbatch.pooling ?? 'unknown' } }, dimension: o.embedder.dim,
    max_concurrent_requests: maxWorking, max_input_length: maxLen ?? null, max_batch_tokens: maxBatchTokens, max_client_batch_size: o.maxTexts, version: 'inbatch',
  }));

  app.post('/similarity', {
    preHandler: shed,
    schema: { body: { type: 'object', required: ['query', 'texts'], additionalProperties: false, properties: { query: { type: 'string', minLength: 1 }, texts } } },
  }, async (req) => {
    const body = req.body as { query: string; texts: string[] };
    const [q, ...rest] = await batcher.submit([body.query, ...body.texts]);
    return { results: body.texts.map((text, i) => ({ text, similarity: innerProduct(q!, rest[i]!) })) };
  });

  const retrievers = new Map<RetrieverKind, Retriever>();
  if (o.index) {
    const index = o.index;
    // the dense ranking embeds through the micro-batcher, like /embed
    const dense: Retriever = { kind: 'dense', search: async (queries, k) => index.index.search(await batcher.submit(queries), k) };
    retrievers.set('dense', dense);
    if (index.lexical) {
      const bm25 = new Bm25Retriever(index.lexical);
      retrievers.set('bm25', bm25);
      retrievers.set('hybrid', new HybridRetriever(dense, bm25, o.hybrid ?? DEFAULT_HYBRID));
    }
  }
  app.post('/search', {
    preHandler: shed,
    schema: {
      body: {
        type: 'object', required: ['query'], additionalProperties: false,
        properties: { query: { type: 'string', minLength: 1 }, k: { type: 'integer', minimum: 1, maximum: o.maxK }, retriever: { type: 'string', enum: [...RETRIEVER_KINDS] } },
      },
    },
  }, async (req, reply) => {
    if (!o.index) return fail(reply, 'unavailable', 'start the server with --index DIR (from inbatch recall) to search');
    const body = req.body as { query: string; k?: number; retriever?: RetrieverKind };
    const retriever = retrievers.get(body.retriever ?? o.retriever ?? 'dense');
    if (!retriever) return fail(reply, 'validation', 'this index has no BM25 part: rebuild it with inbatch recall for bm25 or hybrid search');
    const [hits] = await o.index.searchWith(retriever, [body.query], body.k ?? 10);
    return { retriever: retriever.kind, results: hits! };
  });

  app.get('/health', async () => ({ status: 'ok', dim: o.embedder.dim, precision: o.embedder.options.precision, index: o.index ? { kind: o.index.index.kind, size: o.index.size, bm25: Boolean(o.index.lexical), retriever: o.retriever ?? 'dense' } : null }));

  app.get('/metrics', async (_req, reply) => {
    void reply.type(metrics.contentType);
    return metrics.render();
  });
  return app;
}


/** The first dims values renormalised (OpenAI's shortened embeddings); this model was not trained for it, so quality drops. */
function shorten(v: Float32Array, dims: number): Float32Array {
  const out = v.slice(0, dims);
  let norm = 0;
  for (const x of out) norm += x * x;
  norm = Math.sqrt(norm) || 1;
  for (let i = 0; i < dims; i++) out[i]! /= norm;
  return out;
}
