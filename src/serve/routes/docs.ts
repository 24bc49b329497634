// The API described from the route schemas themselves: @fastify/swagger collects every route as it is
// declared (so it is registered before them), GET /openapi.json serves the document, and GET /docs is
// Swagger UI from its npm package (no CDN). Both stay open under --api-key: they hold no data.
import type { ServeContext, ServerApp } from '../context.js';
import { lazyModule } from '../../util/lazy-module.js';
// the schema fields the document reads (summary, hide), as types only: the package loads lazily
import type {} from '@fastify/swagger';

type Plugin = Parameters<ServerApp['register']>[0];
const swagger = lazyModule<{ default: Plugin }>('@fastify/swagger');
const swaggerUi = lazyModule<{ default: Plugin }>('@fastify/swagger-ui');

export function openApiCollector(app: ServerApp): void {
  void app.register(swagger().default, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'inbatch serve', description: 'Embeddings, similarity and search: inbatch\'s own routes, OpenAI\'s embeddings API and Text Embeddings Inference\'s', version: '0.1.0' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  } as never);
}

export function docsRoutes(app: ServerApp, _ctx: ServeContext): void {
  app.get('/openapi.json', { schema: { hide: true } }, async () => (app as unknown as { swagger(): object }).swagger());
  void app.register(swaggerUi().default, { routePrefix: '/docs', staticCSP: true } as never);
}
