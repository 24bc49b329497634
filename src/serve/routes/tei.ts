// The rest of TEI's API, for its clients (@huggingface/inference, LangChain's and LlamaIndex's TEI
// classes, Inference Endpoints and SageMaker callers):
//   POST /           Inference Endpoints style: {inputs: text(s)} embeds as /embed, {inputs: {source_sentence,
//                    sentences}} answers as /similarity
//   POST /embed_all  {inputs, truncate?, truncation_direction?, prompt_name?} -> [[[...]]]: the encoder's last
//                    hidden states of each input's tokens (before pooling and projection)
//   POST /tokenize   {inputs, add_special_tokens?, prompt_name?} -> [[{id, text, special, start, stop}]], start and
//                    stop are UTF-8 byte offsets into the (prompted) text, as TEI's
//   POST /decode     {ids: [...] | [[...]], skip_special_tokens?} -> ["..."]
//   GET  /ping       200 (SageMaker's and Inference Endpoints' liveness probe)
import type { ServeContext, ServerApp } from '../context.js';
import { fail } from '../errors.js';
import { shedding } from '../plugins/shedding.js';
import { teiEmbed, teiEmbedFields } from './embed.js';
import { oneOrMoreTexts, asList, similarityInput, teiTextFields } from './schemas.js';
import { similarityParameters, teiSimilarity } from './similarity.js';

/** Most characters one /tokenize request may hold: its answer is a few dozen bytes per token. */
const MAX_TOKENIZE_CHARS = 1 << 20;
const DEFAULT_TOKEN_BUDGET = 16384;

export function teiRoutes(app: ServerApp, ctx: ServeContext): void {
  const max = ctx.options.maxTexts;
  const tokenBudget = ctx.maxBatchTokens || DEFAULT_TOKEN_BUDGET;

  const root = {
    type: 'object', required: ['inputs'], additionalProperties: false,
    properties: { ...teiEmbedFields(max), inputs: { anyOf: [...oneOrMoreTexts(max).anyOf, similarityInput(max)] }, parameters: similarityParameters },
  } as const;
  app.post('/', { preHandler: shedding(ctx), schema: { summary: 'Inference Endpoints style: {inputs: text(s)} as /embed, {inputs: {source_sentence, sentences}} as /similarity', body: root } }, async (req, reply) => {
    const { inputs, parameters, ...rest } = req.body;
    if (typeof inputs === 'string' || Array.isArray(inputs)) {
      if (parameters !== undefined) return fail(reply, 'validation', 'parameters belongs to a sentence-similarity body ({"inputs": {"source_sentence", "sentences"}})', 'parameters');
      return teiEmbed(ctx, reply, { ...rest, inputs: inputs as string | readonly string[] });
    }
    const stray = (['normalize', 'dimensions', 'truncate', 'truncation_direction', 'prompt_name'] as const).find((k) => rest[k] !== undefined);
    if (stray) return fail(reply, 'validation', `${stray} goes in "parameters" for a sentence-similarity body`, stray);
    return teiSimilarity(ctx, reply, inputs as { source_sentence: string; sentences: readonly string[] }, parameters);
  });

  const embedAll = { type: 'object', required: ['inputs'], additionalProperties: false, properties: { inputs: oneOrMoreTexts(max), ...teiTextFields } } as const;
  app.post('/embed_all', { preHandler: shedding(ctx), schema: { summary: 'Per-token embeddings: the encoder\'s last hidden states of each input\'s tokens', body: embedAll } }, async (req, reply) => {
    const embedder = ctx.embedder;
    if (!embedder.tokenEmbeddings || !embedder.hasTokenEmbeddings) return fail(reply, 'unsupported_by_model', 'this export has no per-token outputs (token_embeddings): export the model again with this inbatch');
    const encodings = await ctx.encodeTei(asList(req.body.inputs), req.body);
    if (!Array.isArray(encodings)) return fail(reply, 'validation', encodings.problem, encodings.param);
    const tokens = encodings.reduce((s, e) => s + e.inputIds.length, 0);
    if (tokens > tokenBudget) return fail(reply, 'payload_too_large', `${tokens} tokens: /embed_all answers at most ${tokenBudget} (--max-batch-tokens) per request`, 'inputs');
    const states = await embedder.tokenEmbeddings(encodings);
    return states.map((s) => Array.from({ length: s.tokens }, (_, t) => Array.from(s.data.subarray(t * s.hidden, (t + 1) * s.hidden))));
  });

  const tokenize = {
    type: 'object', required: ['inputs'], additionalProperties: false,
    properties: { inputs: { anyOf: [{ type: 'string' }, { type: 'array', minItems: 1, maxItems: max, items: { type: 'string' } }] }, add_special_tokens: { type: 'boolean' }, prompt_name: teiTextFields.prompt_name },
  } as const;
  app.post('/tokenize', { schema: { summary: 'Tokens of each input, with their UTF-8 byte offsets', body: tokenize } }, async (req, reply) => {
    const { inputs, add_special_tokens: special = true, prompt_name: promptName } = req.body;
    const texts = asList(inputs);
    const prompts = ctx.options.prompts ?? {};
    if (promptName !== undefined && promptName !== null && !Object.hasOwn(prompts, promptName)) {
      return fail(reply, 'validation', `prompt_name ${JSON.stringify(promptName)} is not one of this model's prompts (${Object.keys(prompts).join(', ') || 'it has none'})`, 'prompt_name');
    }
    const prompt = promptName ? prompts[promptName]! : '';
    const chars = texts.reduce((s, t) => s + prompt.length + t.length, 0);
    if (chars > MAX_TOKENIZE_CHARS) return fail(reply, 'payload_too_large', `${chars} characters: /tokenize takes at most ${MAX_TOKENIZE_CHARS} per request`, 'inputs');
    const tok = ctx.embedder.tokenizer;
    const specialToken = (id: number) => ({ id, text: tok.idToToken[id]!, special: true, start: null, stop: null });
    return texts.map((text) => {
      const pieces = tok.tokenizeWithOffsets(prompt + text).map((p) => ({ id: tok.vocab.get(p.token) ?? tok.unkId, text: p.token, special: false, start: p.start, stop: p.stop }));
      return special ? [specialToken(tok.clsId), ...pieces, specialToken(tok.sepId)] : pieces;
    });
  });

  const idList = { type: 'array', maxItems: 1 << 16, items: { type: 'integer', minimum: 0 } } as const;
  const decode = {
    type: 'object', required: ['ids'], additionalProperties: false,
    properties: { ids: { anyOf: [idList, { type: 'array', minItems: 1, maxItems: max, items: idList }] }, skip_special_tokens: { type: 'boolean' } },
  } as const;
  app.post('/decode', { schema: { summary: 'Token ids back to text', body: decode } }, async (req, reply) => {
    const { ids, skip_special_tokens: skip = true } = req.body;
    const lists = (ids as readonly unknown[]).length && Array.isArray((ids as readonly unknown[])[0]) ? ids as readonly (readonly number[])[] : [ids as readonly number[]];
    const tok = ctx.embedder.tokenizer;
    for (const [i, list] of lists.entries()) {
      const bad = list.findIndex((id) => id >= tok.vocabSize);
      if (bad >= 0) return fail(reply, 'validation', `ids${lists.length > 1 || ids !== list ? `[${i}]` : ''}[${bad}] = ${list[bad]} is not in the vocabulary (${tok.vocabSize} tokens)`, 'ids');
    }
    return lists.map((list) => tok.decodeText(list, skip));
  });

  app.get('/ping', { schema: { summary: 'Liveness probe (SageMaker, Inference Endpoints)' } }, async () => ({ status: 'ok' }));
}
