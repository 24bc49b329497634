// Bearer authentication, compared in constant time; /health and /metrics stay open for probes
// and scrapers, and preflight requests carry no credentials.
import { timingSafeEqual } from 'node:crypto';
import type { ServerApp } from '../context.js';
import { fail } from '../errors.js';

const OPEN_ROUTES = ['/health', '/metrics'];

export function bearerAuth(app: ServerApp, apiKey: string): void {
  const expected = Buffer.from(apiKey);
  app.addHook('onRequest', async (req, reply) => {
    if (req.method === 'OPTIONS' || OPEN_ROUTES.includes(req.url.split('?')[0]!)) return;
    // the scheme is case-insensitive (RFC 9110); the key is compared in constant time
    const m = /^\s*bearer\s+(.*?)\s*$/i.exec(req.headers.authorization ?? '');
    const given = Buffer.from(m ? m[1]! : '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return fail(reply.header('www-authenticate', 'Bearer'), 'unauthorized', 'send the API key as "Authorization: Bearer <key>"');
    }
  });
}
