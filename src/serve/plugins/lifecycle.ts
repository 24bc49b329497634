// Every request's life: counted in flight until its response closes, measured when answered,
// told to close its connection while the server shuts down; errors from the framework (body
// parsing, limits, timeouts) and unknown routes answered in the one error vocabulary.
import type { FastifyError } from 'fastify';
import type { ServeContext, ServerApp } from '../context.js';
import { fail, kindOfStatus } from '../errors.js';

export function lifecycle(app: ServerApp, ctx: ServeContext): void {
  // while closing, answer in-flight requests with Connection: close so keep-alive sockets do not hold close() open
  let closing = false;
  app.addHook('preClose', async () => { closing = true; });
  app.addHook('onSend', async (_req, reply, payload) => {
    if (closing) void reply.header('connection', 'close');
    return payload;
  });
  app.addHook('onRequest', async (_req, reply) => {
    ctx.inFlight++;
    reply.raw.once('close', () => { ctx.inFlight--; });
  });
  app.addHook('onResponse', async (req, reply) => {
    ctx.metrics.observe(req.routeOptions.url ?? 'unknown', reply.statusCode, reply.elapsedTime / 1000);
  });
  app.setErrorHandler((err: FastifyError, _req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 ? err.statusCode : 500;
    if (status >= 500) app.log.error(err);
    void fail(reply, kindOfStatus(status), status >= 500 ? 'the server failed to process the request' : err.message, fieldAtFault(err));
  });
  app.setNotFoundHandler((req, reply) => void fail(reply, 'not_found', `no route ${req.method} ${req.url}`));
}

/** The body field a schema error is about ("input" for /input/3), for OpenAI's `param`. */
function fieldAtFault(err: FastifyError): string | null {
  const first = err.validation?.[0];
  if (!first) return null;
  const missing = (first.params as { missingProperty?: string; additionalProperty?: string } | undefined);
  return first.instancePath.split('/')[1] || missing?.missingProperty || missing?.additionalProperty || null;
}
