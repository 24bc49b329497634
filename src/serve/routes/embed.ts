// POST /embed in two dialects:
//   inbatch  {texts: [...]}                         -> {dim, embeddings: [[...]]}
//   TEI      {inputs: "..." | [...], normalize?, truncate?, dimensions?} -> [[...]]
// `dimensions` (both dialects): one the model was trained for (train --matryoshka-dims), else 400 listing them.
// The graph L2-normalises, so TEI's normalize: false cannot be served; truncate: false refuses a
// text longer than max_seq_length instead of cutting it.
import type { ServeContext, ServerApp } from '../context.js';
import { truncateVector } from '../../vectors/dimensions.js';
import { fail } from '../errors.js';
import { shedding } from '../plugins/shedding.js';
import { asList, oneOrMoreTexts, textList } from './schemas.js';

export function embedRoutes(app: ServerApp, ctx: ServeContext): void {
  const max = ctx.options.maxTexts;
  const body = {
    type: 'object', additionalProperties: false,
    properties: { texts: textList(max), inputs: oneOrMoreTexts(max), normalize: { type: 'boolean' }, truncate: { type: 'boolean' }, dimensions: { type: 'integer', minimum: 1 } },
  } as const;
  app.post('/embed', { preHandler: shedding(ctx), schema: { body } }, async (req, reply) => {
    const { texts, inputs, normalize, truncate, dimensions } = req.body;
    const dims = dimensions ?? ctx.embedder.dim;
    const wrongDims = ctx.dimensionsProblem(dims);
    if (wrongDims) return fail(reply, 'validation', wrongDims, 'dimensions');
    if ((texts === undefined) === (inputs === undefined)) return fail(reply, 'validation', 'body must have required property \'texts\' (inbatch) or \'inputs\' (TEI), not both');
    if (normalize === false) return fail(reply, 'validation', 'this model\'s graph L2-normalises its output; normalize: false cannot be served');
    const list = texts ? [...texts] : asList(inputs!);
    const encodings = await ctx.encode(list, inputs !== undefined && truncate === false);
    const long = encodings.findIndex((e) => e.inputIds.length > ctx.maxLen);
    if (long >= 0) return fail(reply, 'validation', `inputs[${long}] has more tokens than max_seq_length ${ctx.maxLen}; send truncate: true to cut it`);
    const vectors = (await ctx.embed(encodings)).map((v) => Array.from(truncateVector(v, dims)));
    return texts ? { dim: dims, embeddings: vectors } : vectors;
  });
}
