// OpenAI's embeddings API (POST /v1/embeddings, and /embeddings as TEI serves it), so its SDK, LangChain and LlamaIndex work
// against this server: floats or base64, `dimensions` (the first values renormalised: one the model was trained for, train --matryoshka-dims), and usage
// counted from the token ids the texts were embedded with.
import type { ServeContext, ServerApp } from '../context.js';
import { ServeContext as Context } from '../context.js';
import { fail } from '../errors.js';
import { truncateVector } from '../../vectors/dimensions.js';
import { shedding } from '../plugins/shedding.js';
import { asList, oneOrMoreTexts } from './schemas.js';

export function openAiRoutes(app: ServerApp, ctx: ServeContext): void {
  const body = {
    type: 'object', required: ['input'], additionalProperties: false,
    properties: {
      input: oneOrMoreTexts(ctx.options.maxTexts), model: { type: 'string' }, encoding_format: { type: 'string', enum: ['float', 'base64'] },
      dimensions: { type: 'integer', minimum: 1 }, user: { type: 'string' },
    },
  } as const;
  // TEI serves the same API at /embeddings too
  for (const path of ['/v1/embeddings', '/embeddings']) app.post(path, { preHandler: shedding(ctx), schema: { summary: 'OpenAI\'s embeddings API', body } }, async (req, reply) => {
    const { input, model, encoding_format: format, dimensions } = req.body;
    const dims = dimensions ?? ctx.embedder.dim;
    const wrongDims = ctx.dimensionsProblem(dims);
    if (wrongDims) return fail(reply, 'validation', wrongDims, 'dimensions');
    const encodings = await ctx.encode(asList(input));
    const vectors = (await ctx.embed(encodings)).map((v) => truncateVector(v, dims));
    const tokens = Context.tokens(encodings);
    return {
      object: 'list',
      data: vectors.map((v, index) => ({
        object: 'embedding', index,
        embedding: format === 'base64' ? Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') : Array.from(v),
      })),
      model: model ?? ctx.modelName,
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    };
  });
}
