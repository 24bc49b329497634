// Bearer authentication, compared in constant time. Open without it: probes and scrapers (/health,
// /ping, /metrics), the API's description (/openapi.json, /docs) and the playground page (GET /, which
// asks for the key and sends it with every request it makes); preflight requests carry no credentials.
import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { ServerApp } from '../context.js';
import { fail } from '../errors.js';

const OPEN_PATHS = /^\/(health|ping|metrics|openapi\.json|docs(\/.*)?|playground\.js)?$/;

function isOpen(req: FastifyRequest): boolean {
  if (req.method === 'OPTIONS') return true;
  const path = req.url.split('?')[0]!;
  // GET / is the page; POST / is TEI's inference route and needs the key
  return (req.method === 'GET' || req.method === 'HEAD') && OPEN_PATHS.test(path) || ['/health', '/metrics'].includes(path);
}

export function bearerAuth(app: ServerApp, apiKey: string): void {
  const expected = Buffer.from(apiKey);
  const check = async (app: ServerApp) => {
    app.addHook('onRequest', async (req, reply) => {
      if (isOpen(req)) return;
      // the scheme is case-insensitive (RFC 9110); the key is compared in constant time
      const m = /^\s*bearer\s+(.*?)\s*$/i.exec(req.headers.authorization ?? '');
      const given = Buffer.from(m ? m[1]! : '');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        return fail(reply.header('www-authenticate', 'Bearer'), 'unauthorized', 'send the API key as "Authorization: Bearer <key>"');
      }
    });
  };
  // loaded in order with the other plugins, its hook on every route (what fastify-plugin marks)
  (check as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;
  void app.register(check as never);
}
