// TEI's remaining routes and fields, the OpenAPI document and Swagger UI, and the clients that speak
// them: @huggingface/inference against POST / and /embed, LangChain's OpenAIEmbeddings with its default batch.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { exportModel } from '../../src/export/export-model.js';
import { Embedder } from '../../src/infer/embedder.js';
import { buildServer, DEFAULT_SERVER } from '../../src/serve/server.js';
import { cjkChars, microConfig, tempDir, tokenizerOf, writeRandomModel } from '../helpers.js';

const chars = cjkChars(60);
const tok = tokenizerOf([...chars, 'hello', 'world', '##s', ',', '!', 'caf', '##e']);
const work = tempDir();
let app: FastifyInstance, locked: FastifyInstance, url: string, lockedUrl: string, embedder: Embedder;
const prompts = { query: '丁七', document: '' };

before(async () => {
  // mean pooling and no projection: the embedding is the normalised mean of /embed_all's token states
  writeRandomModel(join(work.dir, 'm'), microConfig(tok.vocabSize, { pooling: 'mean', output_emb_size: 0 }), tok, 4);
  exportModel(join(work.dir, 'm'), join(work.dir, 'onnx'), { fp16: false });
  writeFileSync(join(work.dir, 'onnx', 'config_sentence_transformers.json'), JSON.stringify({ prompts }));
  embedder = await Embedder.load(join(work.dir, 'onnx'));
  app = buildServer({ embedder, maxTexts: 1024, bodyLimit: 1 << 22, maxK: 100, prompts, modelName: 'tei-test', modelSha: 'ab'.repeat(32) });
  locked = buildServer({ embedder, maxTexts: DEFAULT_SERVER.maxTexts, bodyLimit: DEFAULT_SERVER.bodyLimit, maxK: 100, apiKey: 'sekret' });
  await app.listen({ port: 0, host: '127.0.0.1' });
  await locked.listen({ port: 0, host: '127.0.0.1' });
  url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  lockedUrl = `http://127.0.0.1:${(locked.server.address() as AddressInfo).port}`;
});

after(async () => {
  await app.close();
  await locked.close();
  await embedder.release();
  work.cleanup();
});

async function post(path: string, body: unknown, base = url, headers: Record<string, string> = {}) {
  const r = await fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: r.status, json: (await r.json()) as any };
}

const cosine = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) { dot += a[i]! * b[i]!; na += a[i]! ** 2; nb += b[i]! ** 2; }
  return dot / Math.sqrt(na * nb);
};

test('POST / embeds {inputs} as /embed does and answers {inputs: {source_sentence, sentences}} as /similarity; /embeddings is OpenAI\'s', async () => {
  const texts = ['一丁七', '万丈三上下'];
  const ours = await embedder.embed(texts);
  const root = await post('/', { inputs: texts });
  assert.equal(root.status, 200);
  root.json.forEach((v: number[], i: number) => assert.ok(cosine(v, ours[i]!) > 0.999999));
  const sim = await post('/', { inputs: { source_sentence: texts[0], sentences: texts } });
  assert.equal(sim.status, 200);
  assert.equal(sim.json.length, 2);
  assert.ok(Math.abs(sim.json[0] - 1) < 1e-5);
  assert.ok(Math.abs(sim.json[1] - cosine(ours[0]!, ours[1]!)) < 1e-5);
  const teiSim = await post('/similarity', { inputs: { source_sentence: texts[0], sentences: [texts[1]] }, parameters: { truncate: true, truncation_direction: 'Right' } });
  assert.deepEqual(teiSim.json, [sim.json[1]]);
  const own = await post('/similarity', { query: texts[0], texts: [texts[1]] });
  assert.equal(own.json.results[0].similarity, sim.json[1]);
  const openai = await post('/embeddings', { input: texts });
  assert.equal(openai.status, 200);
  assert.equal(openai.json.object, 'list');
  const bad = await post('/embeddings', { input: [] });
  assert.equal(bad.status, 400);
  assert.equal(bad.json.error.param, 'input');
  const mixed = await post('/', { inputs: texts, parameters: {} });
  assert.equal(mixed.status, 422);
  assert.equal(mixed.json.error_type, 'Validation');
});

test('truncation_direction Left keeps a long text\'s last tokens; prompt_name prepends the model\'s prompt, an unknown one is 422', async () => {
  const long = chars.slice(0, 50).join('');
  const [right, left] = await embedder.embedEncoded([tok.encode(long, 32), tok.encode(long, 32, 'last')]);
  assert.deepEqual(tok.encode(long, 32, 'last').inputIds.slice(1, -1), tok.encode(long, 64).inputIds.slice(1, -1).slice(-30));
  for (const direction of ['Left', 'left']) {
    const r = await post('/embed', { inputs: long, truncate: true, truncation_direction: direction });
    assert.equal(r.status, 200);
    assert.ok(cosine(r.json[0], left!) > 0.999999, direction);
    assert.ok(cosine(r.json[0], right!) < 0.9999, 'the other end of the text');
  }
  const byDefault = await post('/embed', { inputs: long });
  assert.ok(cosine(byDefault.json[0], right!) > 0.999999);
  const prompted = await post('/embed', { inputs: ['万丈'], prompt_name: 'query' });
  const [expected] = await embedder.embed([prompts.query + '万丈']);
  assert.ok(cosine(prompted.json[0], expected!) > 0.999999);
  const unknown = await post('/embed', { inputs: ['万丈'], prompt_name: 'passage' });
  assert.equal(unknown.status, 422);
  assert.match(unknown.json.error, /prompt_name "passage" is not one of this model's prompts \(query, document/);
  const wrongDirection = await post('/embed', { inputs: ['万丈'], truncation_direction: 'Middle' });
  assert.equal(wrongDirection.status, 422);
  const inbatchWithTei = await post('/embed', { texts: ['万丈'], prompt_name: 'query' });
  assert.equal(inbatchWithTei.status, 400);
  assert.match(inbatchWithTei.json.message, /prompt_name belongs to TEI's body/);
});

test('POST /embed_all: each input\'s real tokens, whose normalised mean is the mean-pooled embedding', async () => {
  const texts = ['一丁', '万丈三上下不与'];
  const r = await post('/embed_all', { inputs: texts });
  assert.equal(r.status, 200);
  const ours = await embedder.embed(texts);
  texts.forEach((t, i) => {
    const states = r.json[i] as number[][];
    assert.equal(states.length, tok.encode(t, 32).inputIds.length, 'one state per token, padding left out');
    assert.equal(states[0]!.length, 32);
    const mean = states[0]!.map((_, k) => states.reduce((s, row) => s + row[k]!, 0) / states.length);
    assert.ok(cosine(mean, ours[i]!) > 0.99999, `text ${i}: ${cosine(mean, ours[i]!)}`);
  });
  // an embedder without per-token outputs (an export from before them) answers TEI's 424
  const pooledOnly = { dim: embedder.dim, options: embedder.options, tokenizer: embedder.tokenizer, config: embedder.config, embedEncoded: embedder.embedEncoded.bind(embedder) };
  const old = buildServer({ embedder: pooledOnly, maxTexts: 8, bodyLimit: 4096, maxK: 10 });
  const answer = await old.inject({ method: 'POST', url: '/embed_all', payload: { inputs: '一' } });
  assert.equal(answer.statusCode, 424);
  assert.equal(answer.json().error_type, 'Backend');
  await old.close();
});

test('POST /tokenize gives ids, texts, special flags and UTF-8 byte offsets; POST /decode turns ids back into text', async () => {
  const text = '一丁 hello, worlds café!';
  const r = await post('/tokenize', { inputs: text });
  assert.equal(r.status, 200);
  const tokens = r.json[0] as { id: number; text: string; special: boolean; start: number | null; stop: number | null }[];
  assert.deepEqual(tokens.map((t) => t.id), tok.encode(text, 512).inputIds);
  assert.deepEqual(tokens.map((t) => t.text), ['[CLS]', '一', '丁', 'hello', ',', 'world', '##s', 'caf', '##e', '!', '[SEP]']);
  assert.deepEqual([tokens[0]!.special, tokens[1]!.special, tokens.at(-1)!.special], [true, false, true]);
  const bytes = Buffer.from(text);
  assert.deepEqual(tokens.slice(1, -1).map((t) => bytes.subarray(t.start!, t.stop!).toString()), ['一', '丁', 'hello', ',', 'world', 's', 'caf', 'é', '!']);
  const bare = await post('/tokenize', { inputs: [text, '万'], add_special_tokens: false });
  assert.deepEqual(bare.json.map((l: unknown[]) => l.length), [9, 1]);
  const prompted = await post('/tokenize', { inputs: '万', prompt_name: 'query', add_special_tokens: false });
  assert.deepEqual(prompted.json[0].map((t: { text: string }) => t.text), [...prompts.query, '万']);
  const decoded = await post('/decode', { ids: tok.encode(text, 512).inputIds });
  assert.equal(decoded.status, 200);
  assert.deepEqual(decoded.json, ['一 丁 hello, worlds cafe!']);
  const kept = await post('/decode', { ids: [[tok.clsId, tok.vocab.get('一')!, tok.sepId], [tok.vocab.get('万')!]], skip_special_tokens: false });
  assert.deepEqual(kept.json, ['[CLS] 一 [SEP]', '万']);
  const outside = await post('/decode', { ids: [1, tok.vocabSize] });
  assert.equal(outside.status, 422);
  assert.match(outside.json.error, new RegExp(`ids\\[1\\] = ${tok.vocabSize} is not in the vocabulary`));
});

test('GET /info has TEI\'s required fields; GET /ping; /openapi.json is generated from the route schemas and /docs serves Swagger UI locally', async () => {
  const info = await (await fetch(url + '/info')).json() as Record<string, unknown>;
  // TEI's Info.required, from its OpenAPI document, with their types
  const required: Record<string, string> = { model_id: 'string', model_dtype: 'string', model_type: 'object', max_concurrent_requests: 'number', max_input_length: 'number',
    max_batch_tokens: 'number', max_client_batch_size: 'number', auto_truncate: 'boolean', tokenization_workers: 'number', version: 'string' };
  for (const [field, type] of Object.entries(required)) assert.equal(typeof info[field], type, field);
  assert.equal(info.served_model_name, 'tei-test');
  assert.equal(info.model_sha, 'ab'.repeat(32));
  assert.deepEqual(info.prompts, ['query', 'document']);
  assert.equal((await fetch(url + '/ping')).status, 200);
  const doc = await (await fetch(url + '/openapi.json')).json() as any;
  assert.equal(doc.openapi, '3.0.3');
  for (const path of ['/', '/embed', '/embed_all', '/tokenize', '/decode', '/similarity', '/embeddings', '/v1/embeddings', '/search', '/info', '/ping']) assert.ok(doc.paths[path], `${path} documented`);
  const embedBody = doc.paths['/embed'].post.requestBody.content['application/json'].schema;
  assert.deepEqual(embedBody.properties.truncation_direction.enum, ['Left', 'Right', 'left', 'right']);
  assert.ok(embedBody.properties.prompt_name && embedBody.properties.dimensions && embedBody.properties.texts);
  const page = await fetch(url + '/docs/');
  assert.equal(page.status, 200);
  assert.match(await page.text(), /swagger-ui/i);
  const bundle = await fetch(url + '/docs/static/swagger-ui-bundle.js');
  assert.equal(bundle.status, 200, 'the UI\'s script comes from this server, not a CDN');
  // under --api-key the description and probes stay open; POST / does not
  for (const open of ['/openapi.json', '/docs/', '/ping', '/health']) assert.equal((await fetch(lockedUrl + open)).status, 200, open);
  const denied = await post('/', { inputs: '一' }, lockedUrl);
  assert.equal(denied.status, 401);
  assert.equal(denied.json.error_type, 'Unauthorized');
});

test('@huggingface/inference: featureExtraction and sentenceSimilarity through POST / and /embed, with the API key', async () => {
  const { featureExtraction, sentenceSimilarity } = await import('@huggingface/inference');
  const texts = ['一丁七', '万丈三'];
  const ours = await embedder.embed(texts);
  for (const endpoint of ['/', '/embed']) {
    const vectors = await featureExtraction({ endpointUrl: lockedUrl + endpoint, accessToken: 'sekret', inputs: texts }) as number[][];
    assert.equal(vectors.length, 2, endpoint);
    vectors.forEach((v, i) => assert.ok(cosine(v, ours[i]!) > 0.999999, endpoint));
  }
  const scores = await sentenceSimilarity({ endpointUrl: lockedUrl + '/', accessToken: 'sekret', inputs: { source_sentence: texts[0]!, sentences: texts } });
  assert.ok(Math.abs(scores[1]! - cosine(ours[0]!, ours[1]!)) < 1e-5);
  await assert.rejects(featureExtraction({ endpointUrl: lockedUrl + '/', accessToken: 'wrong', inputs: texts }), /API key|401|Unauthorized/i);
});

test('LangChain: OpenAIEmbeddings.embedDocuments(600) with its default batch size (512) against /v1', async () => {
  const { OpenAIEmbeddings } = await import('@langchain/openai');
  const texts = Array.from({ length: 600 }, (_, i) => chars[i % 60]! + chars[(i * 7) % 60]! + chars[(i * 13) % 60]!);
  const lc = new OpenAIEmbeddings({ apiKey: 'sekret', model: 'inbatch', configuration: { baseURL: lockedUrl + '/v1' }, maxRetries: 0 });
  assert.equal(lc.batchSize, 512);
  const vectors = await lc.embedDocuments(texts);
  assert.equal(vectors.length, 600);
  const ours = await embedder.embed(texts);
  vectors.forEach((v, i) => assert.ok(cosine(v, ours[i]!) > 0.99999, `text ${i}`));
  const query = await lc.embedQuery(texts[3]!);
  assert.ok(cosine(query, ours[3]!) > 0.99999);
});
