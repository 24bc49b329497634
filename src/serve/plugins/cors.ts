// Browsers: @fastify/cors puts the CORS headers on every answer (errors included) and answers
// preflight requests. Registered before authentication, so a 401 reaches the page readable.
import type { ServerApp } from '../context.js';
import { lazyModule } from '../../util/lazy-module.js';

const fastifyCors = lazyModule<{ default: Parameters<ServerApp['register']>[0] }>('@fastify/cors');

export function cors(app: ServerApp, origin: string): void {
  void app.register(fastifyCors().default, {
    origin: origin === '*' ? '*' : origin.split(',').map((o) => o.trim()),
    methods: ['GET', 'POST', 'OPTIONS'], allowedHeaders: ['authorization', 'content-type'], maxAge: 600,
  } as never);
}
