// POST /embed in two dialects:
//   inbatch  {texts: [...], dimensions?}                                   -> {dim, embeddings: [[...]]}
//   TEI      {inputs: "..." | [...], normalize?, truncate?, truncation_direction?, prompt_name?, dimensions?} -> [[...]]
// `dimensions` (both dialects): one the model was trained for (train --matryoshka-dims), else 400 listing them.
// The graph L2-normalises, so TEI's normalize: false cannot be served; truncate: false refuses a
// text longer than max_seq_length instead of cutting it; truncation_direction Left keeps a long text's
// last tokens; prompt_name prepends one of the model's sentence-transformers prompts.
import type { FastifyReply } from 'fastify';
import type { ServeContext, ServerApp, TeiTextOptions } from '../context.js';
import { truncateVector } from '../../vectors/dimensions.js';
import { fail } from '../errors.js';
import { shedding } from '../plugins/shedding.js';
import { asList, oneOrMoreTexts, teiTextFields, textList } from './schemas.js';

export interface TeiEmbedBody extends TeiTextOptions {
  inputs: string | readonly string[];
  normalize?: boolean;
  dimensions?: number;
}

export const teiEmbedFields = (maxTexts: number) => ({
  inputs: oneOrMoreTexts(maxTexts), normalize: { type: 'boolean' }, dimensions: { type: 'integer', minimum: 1 }, ...teiTextFields,
}) as const;

/** TEI's /embed (also POST / for an embedding body): the vectors as [[...]]. */
export async function teiEmbed(ctx: ServeContext, reply: FastifyReply, body: TeiEmbedBody): Promise<unknown> {
  const dims = body.dimensions ?? ctx.embedder.dim;
  const wrongDims = ctx.dimensionsProblem(dims);
  if (wrongDims) return fail(reply, 'validation', wrongDims, 'dimensions');
  if (body.normalize === false) return fail(reply, 'validation', 'this model\'s graph L2-normalises its output; normalize: false cannot be served', 'normalize');
  const encodings = await ctx.encodeTei(asList(body.inputs), body);
  if (!Array.isArray(encodings)) return fail(reply, 'validation', encodings.problem, encodings.param);
  return (await ctx.embed(encodings)).map((v) => Array.from(truncateVector(v, dims)));
}

export function embedRoutes(app: ServerApp, ctx: ServeContext): void {
  const max = ctx.options.maxTexts;
  const body = { type: 'object', additionalProperties: false, properties: { texts: textList(max), ...teiEmbedFields(max) } } as const;
  app.post('/embed', { preHandler: shedding(ctx), schema: { summary: 'Embeddings: inbatch {texts} -> {dim, embeddings}, or TEI {inputs} -> [[...]]', body } }, async (req, reply) => {
    const { texts, inputs, dimensions } = req.body;
    if ((texts === undefined) === (inputs === undefined)) return fail(reply, 'validation', 'body must have required property \'texts\' (inbatch) or \'inputs\' (TEI), not both');
    if (inputs !== undefined) return teiEmbed(ctx, reply, { ...req.body, inputs });
    if (req.body.normalize === false) return fail(reply, 'validation', 'this model\'s graph L2-normalises its output; normalize: false cannot be served', 'normalize');
    const teiOnly = (['truncate', 'truncation_direction', 'prompt_name'] as const).find((k) => req.body[k] !== undefined);
    if (teiOnly) return fail(reply, 'validation', `${teiOnly} belongs to TEI's body ({"inputs": ...}); inbatch's {"texts": ...} takes dimensions (and normalize: true) only`, teiOnly);
    const dims = dimensions ?? ctx.embedder.dim;
    const wrongDims = ctx.dimensionsProblem(dims);
    if (wrongDims) return fail(reply, 'validation', wrongDims, 'dimensions');
    const vectors = (await ctx.embed(await ctx.encode([...texts!]))).map((v) => Array.from(truncateVector(v, dims)));
    return { dim: dims, embeddings: vectors };
  });
}
