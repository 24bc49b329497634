// POST /similarity {query, texts} -> {results: [{text, similarity}]}: cosine of the query to each text.
import type { ServeContext, ServerApp } from '../context.js';
import { shedding } from '../plugins/shedding.js';
import { innerProduct } from '../../vectors/inner-product.js';
import { textList } from './schemas.js';

export function similarityRoutes(app: ServerApp, ctx: ServeContext): void {
  const body = {
    type: 'object', required: ['query', 'texts'], additionalProperties: false,
    properties: { query: { type: 'string', minLength: 1 }, texts: textList(ctx.options.maxTexts) },
  } as const;
  app.post('/similarity', { preHandler: shedding(ctx), schema: { body } }, async (req, reply) => {
    const { query, texts } = req.body;
    const encodings = await ctx.encode([query, ...texts]);
    const [q, ...rest] = await ctx.embed(encodings);
    return { results: texts.map((text, i) => ({ text, similarity: innerProduct(q!, rest[i]!) })) };
  });
}
