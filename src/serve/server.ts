// The HTTP service: POST /embed, /similarity, /search; GET /health, /metrics.
// Requests are validated by JSON schema; the server answers bad input with 4xx and never crashes on it.
import { createRequire } from 'node:module';
import type { FastifyInstance, FastifyError } from 'fastify';
import type { Embedder } from '../infer/embedder.js';
import type { CorpusIndex } from '../retrieval/corpus-index.js';
import { Bm25Retriever, DEFAULT_HYBRID, HybridRetriever, RETRIEVER_KINDS, type HybridOptions, type Retriever, type RetrieverKind } from '../retrieval/retriever.js';
import { Metrics } from './metrics.js';

/** What the server needs of an Embedder. */
export type ServingEmbedder = Pick<Embedder, 'dim' | 'embed'> & { options: Pick<Embedder['options'], 'precision'> };
import { MicroBatcher } from './micro-batcher.js';

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
}

export const DEFAULT_SERVER = { maxTexts: 256, bodyLimit: 1 << 20, maxK: 1000, requestTimeoutMs: 30_000, connectionTimeoutMs: 60_000, maxConnections: 1024 };

export function buildServer(o: ServerOptions): FastifyInstance {
  // strict validation: no type coercion ("one" is not ["one"]) and unknown fields are refused, not dropped
  // loaded here, not at import, so that importing the library never loads the HTTP stack
  const Fastify = createRequire(import.meta.url)('fastify') as typeof import('fastify').default;
  const app = Fastify({
    bodyLimit: o.bodyLimit, logger: o.logger ?? false, ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
    requestTimeout: o.requestTimeoutMs ?? DEFAULT_SERVER.requestTimeoutMs, connectionTimeout: o.connectionTimeoutMs ?? DEFAULT_SERVER.connectionTimeoutMs,
  });
  const maxConnections = o.maxConnections ?? DEFAULT_SERVER.maxConnections;
  if (maxConnections > 0) app.server.maxConnections = maxConnections;
  const batcher = new MicroBatcher((texts) => o.embedder.embed(texts), 64, 2);
  const metrics = new Metrics();
  const texts = { type: 'array', minItems: 1, maxItems: o.maxTexts, items: { type: 'string', minLength: 1 } };

  // while closing, answer in-flight requests with Connection: close so keep-alive sockets do not hold close() open
  let closing = false;
  app.addHook('preClose', async () => { closing = true; });
  app.addHook('onSend', async (_req, reply, payload) => {
    if (closing) void reply.header('connection', 'close');
    return payload;
  });
  // counted down when the response closes, whether it was sent or the client went away
  let inFlight = 0;
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
    void reply.status(status).send({ error: status >= 500 ? 'internal error' : err.code ?? 'bad request', message: status >= 500 ? 'the server failed to process the request' : err.message });
  });
  app.setNotFoundHandler((req, reply) => void reply.status(404).send({ error: 'not found', message: `no route ${req.method} ${req.url}` }));

  app.post('/embed', { schema: { body: { type: 'object', required: ['texts'], additionalProperties: false, properties: { texts } } } }, async (req) => {
    const body = req.body as { texts: string[] };
    const vectors = await batcher.submit(body.texts);
    return { dim: o.embedder.dim, embeddings: vectors.map((v) => Array.from(v)) };
  });

  app.post('/similarity', {
    schema: { body: { type: 'object', required: ['query', 'texts'], additionalProperties: false, properties: { query: { type: 'string', minLength: 1 }, texts } } },
  }, async (req) => {
    const body = req.body as { query: string; texts: string[] };
    const [q, ...rest] = await batcher.submit([body.query, ...body.texts]);
    return { results: body.texts.map((text, i) => ({ text, similarity: dotProduct(q!, rest[i]!) })) };
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
    schema: {
      body: {
        type: 'object', required: ['query'], additionalProperties: false,
        properties: { query: { type: 'string', minLength: 1 }, k: { type: 'integer', minimum: 1, maximum: o.maxK }, retriever: { type: 'string', enum: [...RETRIEVER_KINDS] } },
      },
    },
  }, async (req, reply) => {
    if (!o.index) return reply.status(503).send({ error: 'no index', message: 'start the server with --index DIR (from inbatch recall) to search' });
    const body = req.body as { query: string; k?: number; retriever?: RetrieverKind };
    const retriever = retrievers.get(body.retriever ?? o.retriever ?? 'dense');
    if (!retriever) return reply.status(400).send({ error: 'no lexical index', message: 'this index has no BM25 part: rebuild it with inbatch recall for bm25 or hybrid search' });
    const [hits] = await o.index.searchWith(retriever, [body.query], body.k ?? 10);
    return { retriever: retriever.kind, results: hits! };
  });

  app.get('/health', async () => ({ status: 'ok', dim: o.embedder.dim, precision: o.embedder.options.precision, index: o.index ? { kind: o.index.index.kind, size: o.index.size, bm25: Boolean(o.index.lexical), retriever: o.retriever ?? 'dense' } : null }));

  app.get('/metrics', async (_req, reply) => {
    void reply.type('text/plain; version=0.0.4');
    return metrics.render({
      inbatch_requests_in_flight: inFlight - 1, // not counting this /metrics request
      inbatch_embed_batches_total: batcher.batches,
      inbatch_texts_embedded_total: batcher.textsEmbedded,
      process_resident_memory_bytes: process.memoryUsage().rss,
    });
  });
  return app;
}

function dotProduct(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}
