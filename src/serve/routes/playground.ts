// GET / : the search playground (dense, BM25 and hybrid side by side, /info, the model card); its script at
// GET /playground.js; GET /card : the model's README.md (the page shows it). The page and script are open
// under --api-key (a browser cannot send a key on navigation); everything they fetch is not.
import type { ServeContext, ServerApp } from '../context.js';
import { fail } from '../errors.js';
import { PLAYGROUND_HTML, PLAYGROUND_JS } from '../playground/page.js';

// only this server's own script and requests; no inline script, no other origin
const CSP = "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'";

export function playgroundRoutes(app: ServerApp, ctx: ServeContext): void {
  app.get('/', { schema: { summary: 'The search playground (a page for people)', hide: true } }, async (_req, reply) =>
    reply.type('text/html; charset=utf-8').header('content-security-policy', CSP).header('x-content-type-options', 'nosniff').send(PLAYGROUND_HTML));
  app.get('/playground.js', { schema: { hide: true } }, async (_req, reply) =>
    reply.type('text/javascript; charset=utf-8').header('x-content-type-options', 'nosniff').send(PLAYGROUND_JS));
  app.get('/card', { schema: { summary: 'The model card (README.md) of the served model' } }, async (_req, reply) => {
    if (ctx.options.modelCard === undefined) return fail(reply, 'not_found', 'the served folder has no README.md (export the model again with this inbatch)');
    return reply.type('text/markdown; charset=utf-8').send(ctx.options.modelCard);
  });
}
