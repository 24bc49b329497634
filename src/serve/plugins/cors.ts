// Browsers: CORS headers on every answer, and preflight requests answered here.
import type { ServerApp } from '../context.js';

export function cors(app: ServerApp, origin: string): void {
  app.addHook('onRequest', async (req, reply) => {
    void reply.header('access-control-allow-origin', origin).header('vary', 'origin');
    if (req.method === 'OPTIONS') {
      return reply.header('access-control-allow-methods', 'GET, POST, OPTIONS').header('access-control-allow-headers', 'authorization, content-type').status(204).send();
    }
  });
}
