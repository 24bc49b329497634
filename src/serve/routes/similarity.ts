// POST /similarity in two dialects, the cosine of one text to each of the others:
//   inbatch  {query, texts}                                                   -> {results: [{text, similarity}]}
//   TEI      {inputs: {source_sentence, sentences}, parameters?: {truncate, truncation_direction, prompt_name}} -> [...]
import type { FastifyReply } from 'fastify';
import type { ServeContext, ServerApp, TeiTextOptions } from '../context.js';
import { fail } from '../errors.js';
import { shedding } from '../plugins/shedding.js';
import { innerProduct } from '../../vectors/inner-product.js';
import { similarityInput, teiTextFields, textList } from './schemas.js';

export const similarityParameters = { type: ['object', 'null'], additionalProperties: false, properties: teiTextFields } as const;

/** TEI's sentence similarity (also POST / for a {source_sentence, sentences} body): the cosines, in order. */
export async function teiSimilarity(ctx: ServeContext, reply: FastifyReply, inputs: { source_sentence: string; sentences: readonly string[] }, parameters: TeiTextOptions | null | undefined): Promise<unknown> {
  const encodings = await ctx.encodeTei([inputs.source_sentence, ...inputs.sentences], parameters ?? {});
  if (!Array.isArray(encodings)) return fail(reply, 'validation', encodings.problem, encodings.param);
  const [q, ...rest] = await ctx.embed(encodings);
  return rest.map((v) => innerProduct(q!, v));
}

export function similarityRoutes(app: ServerApp, ctx: ServeContext): void {
  const max = ctx.options.maxTexts;
  const body = {
    type: 'object', additionalProperties: false,
    properties: { query: { type: 'string', minLength: 1 }, texts: textList(max), inputs: similarityInput(max), parameters: similarityParameters },
  } as const;
  app.post('/similarity', { preHandler: shedding(ctx), schema: { summary: 'Cosine similarity: inbatch {query, texts} -> {results}, or TEI {inputs: {source_sentence, sentences}} -> [...]', body } }, async (req, reply) => {
    const { query, texts, inputs, parameters } = req.body;
    if (inputs !== undefined) {
      if (query !== undefined || texts !== undefined) return fail(reply, 'validation', 'give TEI\'s {inputs: {source_sentence, sentences}} or inbatch\'s {query, texts}, not both');
      return teiSimilarity(ctx, reply, inputs, parameters);
    }
    if (query === undefined || texts === undefined) return fail(reply, 'validation', `body must have required property '${query === undefined ? 'query' : 'texts'}' (inbatch) or 'inputs' (TEI)`, query === undefined ? 'query' : 'texts');
    if (parameters !== undefined) return fail(reply, 'validation', 'parameters belongs to TEI\'s body ({"inputs": {...}})', 'parameters');
    const [q, ...rest] = await ctx.embed(await ctx.encode([query, ...texts]));
    return { results: texts.map((text, i) => ({ text, similarity: innerProduct(q!, rest[i]!) })) };
  });
}
