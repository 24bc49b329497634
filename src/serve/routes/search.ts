// POST /search {query, k?, retriever?} -> {retriever, ranked_by?, results: [{id, text, score}]}: the
// corpus index ranks (dense through the micro-batcher, bm25, or hybrid), as CorpusIndex.search does
// everywhere. A hybrid request ranks by the fitted fusion, or by the single retriever the
// calibration chose (then `ranked_by` says which).
import { RETRIEVER_KINDS } from '../../retrieval/retriever.js';
import type { ServeContext, ServerApp } from '../context.js';
import { fail } from '../errors.js';
import { shedding } from '../plugins/shedding.js';

export function searchRoutes(app: ServerApp, ctx: ServeContext): void {
  const body = {
    type: 'object', required: ['query'], additionalProperties: false,
    properties: { query: { type: 'string', minLength: 1 }, k: { type: 'integer', minimum: 1, maximum: ctx.options.maxK }, retriever: { type: 'string', enum: RETRIEVER_KINDS } },
  } as const;
  app.post('/search', { preHandler: shedding(ctx), schema: { body } }, async (req, reply) => {
    const index = ctx.options.index;
    if (!index) return fail(reply, 'unavailable', 'start the server with --index DIR (from inbatch recall) to search');
    const asked = req.body.retriever ?? ctx.options.retriever ?? 'dense';
    const retriever = asked === 'hybrid' ? ctx.options.hybridRanksBy ?? 'hybrid' : asked;
    if (retriever !== 'dense' && !index.lexical) return fail(reply, 'validation', 'this index has no BM25 part: rebuild it with inbatch recall for bm25 or hybrid search');
    const [hits] = await index.search([req.body.query], req.body.k ?? 10, { retriever, embedder: ctx.textEmbedder, hybrid: ctx.options.hybrid });
    return { retriever: asked, ...(retriever !== asked ? { ranked_by: retriever } : {}), results: hits!.map((h) => ({ id: h.id, text: index.textOf(h.id), score: h.score })) };
  });
}
