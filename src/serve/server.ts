// The HTTP service, cut along its contracts: each route family declares its bodies in its own
// file (routes/), the cross-cutting parts are plugins (plugins/), and what they share is one
// ServeContext. Requests are validated by JSON schema; bad input gets 4xx in one error vocabulary
// (errors.ts) and never crashes the server.
//   routes/embed.ts       POST /embed (inbatch {texts}, TEI {inputs})
//   routes/openai.ts      POST /v1/embeddings (and TEI's /embeddings)
//   routes/similarity.ts  POST /similarity (inbatch {query, texts}, TEI {inputs: {source_sentence, sentences}})
//   routes/tei.ts         POST /, /embed_all, /tokenize, /decode, GET /ping (the rest of TEI's API)
//   routes/search.ts      POST /search
//   routes/info.ts        GET /info, /health, /metrics
//   routes/playground.ts  GET / (a search page for people), /playground.js, /card (the model card)
//   routes/docs.ts        GET /openapi.json (generated from the route schemas), /docs (Swagger UI, served locally)
// Plugins load in order: the OpenAPI collector, CORS (so that every answer, a 401 included, carries its
// headers), authentication, then the routes.
import type fastifyModule from 'fastify';
import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts';
import { lazyModule } from '../util/lazy-module.js';
import { DEFAULT_SERVER, ServeContext, type ServerApp, type ServerOptions } from './context.js';
import { bearerAuth } from './plugins/auth.js';
import { cors } from './plugins/cors.js';
import { lifecycle } from './plugins/lifecycle.js';
import { docsRoutes, openApiCollector } from './routes/docs.js';
import { teiRoutes } from './routes/tei.js';
import { playgroundRoutes } from './routes/playground.js';
import { embedRoutes } from './routes/embed.js';
import { infoRoutes } from './routes/info.js';
import { openAiRoutes } from './routes/openai.js';
import { searchRoutes } from './routes/search.js';
import { similarityRoutes } from './routes/similarity.js';

export { DEFAULT_SERVER, type ServerOptions, type ServingEmbedder } from './context.js';

const fastify = lazyModule<typeof fastifyModule>('fastify');

export function buildServer(o: ServerOptions): ServerApp {
  const app = fastify()({
    bodyLimit: o.bodyLimit, logger: o.logLevel ? { level: o.logLevel } : o.logger ?? false,
    // strict validation: no type coercion ("one" is not ["one"]) and unknown fields are refused, not dropped
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
    requestTimeout: o.requestTimeoutMs ?? DEFAULT_SERVER.requestTimeoutMs, connectionTimeout: o.connectionTimeoutMs ?? DEFAULT_SERVER.connectionTimeoutMs,
  }).withTypeProvider<JsonSchemaToTsProvider>();
  // bodies are JSON: Fastify's text/plain parser would turn a wrong content type into a 400 instead of 415
  app.removeContentTypeParser('text/plain');
  honourRequestTimeout(app.server, o.requestTimeoutMs ?? DEFAULT_SERVER.requestTimeoutMs);
  const maxConnections = o.maxConnections ?? DEFAULT_SERVER.maxConnections;
  if (maxConnections > 0) app.server.maxConnections = maxConnections;
  const ctx = new ServeContext(o);
  lifecycle(app, ctx);
  openApiCollector(app);
  if (o.corsAllowOrigin) cors(app, o.corsAllowOrigin);
  if (o.apiKey) bearerAuth(app, o.apiKey);
  void app.register(async (scope) => {
    const routes = scope.withTypeProvider<JsonSchemaToTsProvider>();
    for (const declare of [embedRoutes, openAiRoutes, similarityRoutes, teiRoutes, searchRoutes, infoRoutes, docsRoutes, playgroundRoutes]) declare(routes, ctx);
  });
  return app;
}

/**
 * --request-timeout bounds a request from its first byte to its last, headers included. Fastify sets only
 * requestTimeout after Node built the server, which leaves headersTimeout at 60 s and the check every 30 s: a
 * request that trickled its head was cut at ~90 s whatever the flag said. The checks run at a tenth of the
 * timeout (at least every 100 ms, at most every 30 s), so the cut comes within 10 % of what was asked.
 */
function honourRequestTimeout(server: import('node:http').Server, timeoutMs: number): void {
  server.requestTimeout = timeoutMs;
  server.headersTimeout = timeoutMs;
  (server as { connectionsCheckingInterval?: number }).connectionsCheckingInterval = Math.min(30_000, Math.max(100, Math.round(timeoutMs / 10)));
}
