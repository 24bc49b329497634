// Every request's life: counted in flight until its response closes, measured when answered,
// told to close its connection while the server shuts down; errors from the framework (body
// parsing, limits, timeouts) and unknown routes answered in the one error vocabulary.
import type { FastifyError } from 'fastify';
import type { ServeContext, ServerApp } from '../context.js';
import { errorBody, kindOfStatus } from '../errors.js';

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
    void reply.status(status).send(errorBody(kindOfStatus(status), status >= 500 ? 'the server failed to process the request' : err.message));
  });
  app.setNotFoundHandler((req, reply) => void reply.status(404).send(errorBody('not_found', `no route ${req.method} ${req.url}`)));
}
