// HTTP tests against the running server: every route and every bad input.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { exportModel } from '../../src/export/export-model.js';
import { Embedder } from '../../src/infer/embedder.js';
import type { Encoding } from '../../src/text/bert-tokenizer.js';
import { CorpusIndex } from '../../src/retrieval/corpus-index.js';
import { buildServer, DEFAULT_SERVER } from '../../src/serve/server.js';
import type { FusionFit } from '../../src/retrieval/fusion-calibration.js';
import { DEFAULT_HNSW } from '../../src/vectors/hnsw.js';
import { cjkChars, microConfig, repoRoot, tempDir, tokenizerOf, writeRandomModel } from '../helpers.js';

const chars = cjkChars(60);
const tok = tokenizerOf(chars);
const work = tempDir();
let app: FastifyInstance, bare: FastifyInstance, url: string, bareUrl: string, embedder: Embedder;
const corpus = ['一丁七', '万丈三', '上下不', '与丏丐', '丑丒专'];

before(async () => {
  writeRandomModel(join(work.dir, 'm'), microConfig(tok.vocabSize, { pooling: 'mean' }), tok);
  exportModel(join(work.dir, 'm'), join(work.dir, 'onnx'), { fp16: false });
  embedder = await Embedder.load(join(work.dir, 'onnx'));
  const index = (await CorpusIndex.fromTexts(embedder, corpus, { kind: 'exact', hnsw: DEFAULT_HNSW })).withLexical();
  app = buildServer({ embedder, index, maxTexts: 8, bodyLimit: 4096, maxK: 100 });
  bare = buildServer({ embedder, maxTexts: 8, bodyLimit: 4096, maxK: 100 });
  await app.listen({ port: 0, host: '127.0.0.1' });
  await bare.listen({ port: 0, host: '127.0.0.1' });
  url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  bareUrl = `http://127.0.0.1:${(bare.server.address() as AddressInfo).port}`;
});

after(async () => {
  await app.close();
  await bare.close();
  await embedder.release();
  work.cleanup();
});

async function post(path: string, body: unknown, base = url, raw?: string) {
  const r = await fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: raw ?? JSON.stringify(body) });
  return { status: r.status, json: (await r.json()) as Record<string, any> };
}

test('POST /embed returns normalised vectors equal to the Embedder\'s', async () => {
  const r = await post('/embed', { texts: ['一丁', '万丈三上'] });
  assert.equal(r.status, 200);
  assert.equal(r.json.dim, 16);
  const direct = await embedder.embed(['一丁', '万丈三上']);
  r.json.embeddings.forEach((v: number[], i: number) => v.forEach((x, k) => assert.ok(Math.abs(x - direct[i]![k]!) < 1e-6)));
});

test('concurrent requests are micro-batched and each gets its own answer', async () => {
  // a server of its own, so its counters count this test's requests only
  const server = buildServer({ embedder, maxTexts: 8, bodyLimit: 4096, maxK: 100 });
  await server.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
  try {
    const texts = corpus.concat(['七万', '三上下']);
    const direct = await embedder.embed(texts);
    const answers = await Promise.all(texts.map((t) => post('/embed', { texts: [t] }, base)));
    answers.forEach((r, i) => {
      assert.equal(r.status, 200);
      r.json.embeddings[0].forEach((x: number, k: number) => assert.ok(Math.abs(x - direct[i]![k]!) < 1e-5));
    });
    const metrics = await (await fetch(base + '/metrics')).text();
    const batches = Number(/inbatch_embed_batches_total (\d+)/.exec(metrics)![1]);
    const embedded = Number(/inbatch_texts_embedded_total (\d+)/.exec(metrics)![1]);
    assert.equal(embedded, texts.length);
    assert.ok(batches < texts.length, `${batches} batches for ${texts.length} single-text requests: nothing was batched`);
  } finally {
    await server.close();
  }
});

test('POST /similarity and POST /search', async () => {
  const s = await post('/similarity', { query: '一丁七', texts: ['一丁七', '丑丒专'] });
  assert.equal(s.status, 200);
  assert.equal(s.json.results[0].text, '一丁七');
  assert.ok(Math.abs(s.json.results[0].similarity - 1) < 1e-5);
  const r = await post('/search', { query: '上下不', k: 3 });
  assert.equal(r.status, 200);
  assert.equal(r.json.results.length, 3);
  assert.deepEqual(r.json.results[0], { id: 2, text: '上下不', score: r.json.results[0].score });
  assert.ok(Math.abs(r.json.results[0].score - 1) < 1e-5);
  const none = await post('/search', { query: '上下不' }, bareUrl);
  assert.equal(none.status, 503);
  assert.match(none.json.message, /--index/);
});

test('POST /search ranks by dense, bm25 or hybrid, as asked; bm25 without a lexical index is a clear 400', async () => {
  const bm25 = await post('/search', { query: '上下', k: 5, retriever: 'bm25' });
  assert.equal(bm25.status, 200);
  assert.equal(bm25.json.retriever, 'bm25');
  // only 上下不 shares a term with the query: BM25 returns nothing else
  assert.deepEqual(bm25.json.results.map((h: { text: string }) => h.text), ['上下不']);
  const dense = await post('/search', { query: '上下', k: 5 });
  assert.equal(dense.json.retriever, 'dense');
  assert.equal(dense.json.results.length, 5);
  const hybrid = await post('/search', { query: '上下', k: 5, retriever: 'hybrid' });
  assert.equal(hybrid.status, 200);
  // RRF: 上下不 is ranked by both, so it is first, with score 1/(60 + its dense rank) + 1/61
  const denseRank = dense.json.results.findIndex((h: { text: string }) => h.text === '上下不') + 1;
  assert.equal(hybrid.json.results[0].text, '上下不');
  assert.ok(Math.abs(hybrid.json.results[0].score - (1 / (60 + denseRank) + 1 / 61)) < 1e-12);
  assert.equal((await post('/search', { query: '上下', retriever: 'sparse' })).status, 400);

  const index = await CorpusIndex.fromTexts(embedder, corpus, { kind: 'exact', hnsw: DEFAULT_HNSW });
  const server = buildServer({ embedder, index, maxTexts: 8, bodyLimit: 4096, maxK: 100, retriever: 'bm25' });
  await server.listen({ port: 0, host: '127.0.0.1' });
  try {
    const r = await post('/search', { query: '上下' }, `http://127.0.0.1:${(server.server.address() as AddressInfo).port}`);
    assert.equal(r.status, 400);
    assert.match(r.json.message, /no BM25 part: rebuild it with inbatch recall/);
  } finally {
    await server.close();
  }
});

test('a hybrid request ranks as the calibration chose: by the single retriever it picked (ranked_by says so), shown in /info', async () => {
  const index = (await CorpusIndex.fromTexts(embedder, corpus, { kind: 'exact', hnsw: DEFAULT_HNSW })).withLexical();
  const fusion = {
    format: 'inbatch-fusion', version: 1, retriever: 'bm25', hybrid: { method: 'rrf', rrfK: 20, denseWeight: 0.3, bm25Weight: 0.7, depth: 100 }, reason: 'no fusion beats bm25 alone',
    calibration: { source: 'pseudo-queries cut from the corpus', queries: 300, corpus: 5, seed: 1, candidates: 63, dense: { recall: 50, mrr: 30 }, bm25: { recall: 90, mrr: 80 }, fused: { recall: 90, mrr: 79 } },
  } as const;
  const server = buildServer({ embedder, index, maxTexts: 8, bodyLimit: 4096, maxK: 100, hybrid: fusion.hybrid, hybridRanksBy: 'bm25', fusion: fusion as unknown as FusionFit });
  await server.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
  try {
    const hybrid = await post('/search', { query: '上下', k: 5, retriever: 'hybrid' }, base);
    const bm25 = await post('/search', { query: '上下', k: 5, retriever: 'bm25' }, base);
    assert.deepEqual([hybrid.json.retriever, hybrid.json.ranked_by], ['hybrid', 'bm25']);
    assert.deepEqual(hybrid.json.results, bm25.json.results);
    assert.equal(bm25.json.ranked_by, undefined);
    const info = await (await fetch(base + '/info')).json() as Record<string, any>;
    assert.equal(info.hybrid.ranks_by, 'bm25');
    assert.equal(info.hybrid.fusion.rrfK, 20);
    assert.equal(info.hybrid.calibration.queries, 300);
    assert.equal(info.hybrid.calibration.reason, 'no fusion beats bm25 alone');
  } finally {
    await server.close();
  }
});

test('GET /health and GET /metrics', async () => {
  const h = await (await fetch(url + '/health')).json() as Record<string, any>;
  assert.deepEqual(h, { status: 'ok', dim: 16, precision: 'fp32', index: { kind: 'exact', size: 5, bm25: true, retriever: 'dense' } });
  const m = await fetch(url + '/metrics');
  assert.match(m.headers.get('content-type')!, /text\/plain/);
  const text = await m.text();
  assert.match(text, /inbatch_requests_total\{route="\/embed",status="200"\} \d+/);
  assert.match(text, /inbatch_request_duration_seconds_bucket\{le="\+Inf",route="\/embed"\} \d+/);
  assert.match(text, /process_resident_memory_bytes \d+/);
  assert.match(text, /nodejs_eventloop_lag_seconds /);
  assert.match(text, /inbatch_batch_size_bucket\{le="1"\} \d+/);
  assert.match(text, /inbatch_queue_depth_count \d+/);
  assert.deepEqual(lintExposition(text), [], 'what promtool check metrics would report');
  // the linter does find problems (so an empty list means something)
  assert.deepEqual(lintExposition('# TYPE x_total gauge\nx_total 1\ny 2\n'), ['x_total: no HELP', 'x_total: a gauge named _total', 'y: no TYPE', 'y: no HELP']);
});

test('bad input gets 4xx with a clear message, and the server keeps serving', async () => {
  const cases: [string, unknown, number, RegExp, string?][] = [
    ['/embed', null, 400, /JSON/i, '{"texts": ["a"'],
    ['/embed', { texts: 'one' }, 400, /texts must be array/],
    ['/embed', { texts: [1, 2] }, 400, /texts\/0 must be string/],
    ['/embed', { texts: [] }, 400, /must NOT have fewer than 1 items/],
    ['/embed', { texts: Array(9).fill('一') }, 400, /must NOT have more than 8 items/],
    ['/embed', {}, 400, /must have required property 'texts' \(inbatch\) or 'inputs' \(TEI\)/],
    ['/embed', { texts: ['a'], inputs: 'a' }, 400, /not both/],
    ['/embed', { text: ['a'] }, 400, /must NOT have additional properties/],
    ['/embed', { texts: ['a'], extra: 1 }, 400, /must NOT have additional properties/],
    ['/embed', { texts: ['一'.repeat(3000)] }, 413, /too large/i],
    ['/similarity', { query: 5, texts: ['a'] }, 400, /query must be string/],
    ['/search', { query: 'a', k: 0 }, 400, /k must be >= 1/],
    ['/nope', {}, 404, /no route POST \/nope/],
  ];
  for (const [path, body, status, message, raw] of cases) {
    const r = await post(path, body, url, raw);
    assert.equal(r.status, status, `${path} ${raw ?? JSON.stringify(body)}`);
    assert.match(String(r.json.message), message);
  }
  // a long text within the body limit is truncated to max_seq_length, not refused
  const long = await post('/embed', { texts: ['一'.repeat(1000)] });
  assert.equal(long.status, 200);
  assert.equal((await fetch(url + '/health')).status, 200);
});

test('closing (what SIGTERM does) finishes the requests already in flight', { timeout: 30_000 }, async () => {
  // an embedder that holds its answers until released, so requests are surely in flight at close
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  const held = { dim: embedder.dim, options: embedder.options, tokenizer: embedder.tokenizer, config: embedder.config, embedEncoded: async (e: Encoding[]) => { await gate; return embedder.embedEncoded(e); } };
  const server = buildServer({ embedder: held, maxTexts: 8, bodyLimit: 4096, maxK: 100 });
  await server.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
  const requests = Array.from({ length: 5 }, (_, i) => post('/embed', { texts: [corpus[i]!] }, base));
  const deadline = Date.now() + 10_000;
  for (let running = 0; running < 5;) {
    assert.ok(Date.now() < deadline, `only ${running} of 5 requests reached the server in 10 s`);
    running = Number(/inbatch_requests_in_flight (\d+)/.exec(await (await fetch(`${base}/metrics`)).text())![1]);
  }
  const closed = server.close();
  release();
  const answers = await Promise.all(requests);
  assert.deepEqual(answers.map((a) => a.status), [200, 200, 200, 200, 200]);
  await closed;
  await assert.rejects(fetch(`${base}/health`), 'a closed server accepts no new connections');
});

test('inbatch serve exits 0 on SIGTERM', { timeout: 60_000 }, async () => {
  const child = spawn(process.execPath, [join(repoRoot, 'dist', 'src', 'cli', 'main.js'), 'serve', '--model', join(work.dir, 'onnx'), '--port', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  let err = '';
  const address = await new Promise<string>((resolve, reject) => {
    child.stderr.on('data', (d) => { err += d; const m = /listening on (http:\/\/\S+)/.exec(err); if (m) resolve(m[1]!); });
    child.on('exit', () => reject(new Error(`serve exited: ${err}`)));
  });
  assert.equal((await post('/embed', { texts: ['一丁'] }, address)).status, 200);
  child.kill('SIGTERM');
  assert.equal(await exited, 0);
  assert.match(err, /SIGTERM: finishing in-flight requests/);
});

test('hostile load: /health answers while a maximal body is embedded, slow bodies are cut off, the in-flight gauge returns to 0', { timeout: 60_000 }, async () => {
  const server = buildServer({ embedder, maxTexts: 8, bodyLimit: 1 << 20, maxK: 100, requestTimeoutMs: 1000, connectionTimeoutMs: 2000 });
  await server.listen({ port: 0, host: '127.0.0.1' });
  const port = (server.server.address() as AddressInfo).port;
  const base = `http://127.0.0.1:${port}`;
  try {
    // 8 texts of ~128 KB of 100-character words: WordPiece over all of it would take many seconds
    const word = 'abcdefghij'.repeat(10);
    const big = Array.from({ length: 8 }, () => Array.from({ length: 1250 }, () => word).join(' '));
    const heavy = post('/embed', { texts: big }, base);
    await new Promise((r) => setTimeout(r, 20));
    const t0 = Date.now();
    assert.equal((await fetch(`${base}/health`)).status, 200);
    assert.ok(Date.now() - t0 < 1000, `/health took ${Date.now() - t0} ms`);
    assert.equal((await heavy).status, 200);

    // a client that sends half a body and stalls is disconnected
    const { connect } = await import('node:net');
    const socket = connect(port, '127.0.0.1');
    socket.write('POST /embed HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"texts": [');
    socket.resume(); // the 408 must be read for the close to arrive
    const closedAfter = await new Promise<number>((resolve) => { const s = Date.now(); socket.on('close', () => resolve(Date.now() - s)); });
    assert.ok(closedAfter < 5000, `slow-body connection closed after ${closedAfter} ms`);

    // aborted requests do not leak the in-flight gauge
    for (let i = 0; i < 5; i++) {
      const ac = new AbortController();
      const r = fetch(`${base}/embed`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ texts: big.slice(0, 2) }), signal: ac.signal });
      setTimeout(() => ac.abort(), 5);
      await r.catch(() => undefined);
    }
    await new Promise((r) => setTimeout(r, 500));
    const gauge = Number(/inbatch_requests_in_flight (-?\d+)/.exec(await (await fetch(`${base}/metrics`)).text())![1]);
    assert.equal(gauge, 0);
  } finally {
    await server.close();
  }
});

/** Writes `request` one byte every `everyMs` and reports when the server closed the connection and what it said. */
async function trickle(port: number, request: string, everyMs: number): Promise<{ closedAfterMs: number; reply: string }> {
  const { connect } = await import('node:net');
  const socket = connect(port, '127.0.0.1');
  let reply = '';
  socket.on('data', (d) => { reply += d; });
  socket.on('error', () => undefined);
  const start = Date.now();
  const closed = new Promise<number>((resolve) => socket.on('close', () => resolve(Date.now() - start)));
  let i = 0;
  const timer = setInterval(() => { if (i < request.length && !socket.destroyed) socket.write(request[i++]!); }, everyMs);
  const closedAfterMs = await closed;
  clearInterval(timer);
  return { closedAfterMs, reply };
}

test('--request-timeout bounds a request from its first byte to its last: a trickled head or body is cut near the timeout, not at Node\'s 60 s + 30 s', { timeout: 60_000 }, async () => {
  const server = buildServer({ embedder, maxTexts: 8, bodyLimit: 1 << 20, maxK: 100, requestTimeoutMs: 1500, connectionTimeoutMs: 60_000 });
  await server.listen({ port: 0, host: '127.0.0.1' });
  const port = (server.server.address() as AddressInfo).port;
  try {
    const body = JSON.stringify({ texts: ['一丁'] });
    const head = `POST /embed HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n`;
    const slowHead = await trickle(port, head + 'x'.repeat(400), 20);
    assert.ok(slowHead.closedAfterMs >= 1400 && slowHead.closedAfterMs < 2500, `trickled head cut after ${slowHead.closedAfterMs} ms`);
    assert.match(slowHead.reply, /^HTTP\/1\.1 408/);
    const slowBody = await trickle(port, head + body.slice(0, 1) + ' '.repeat(400), 20);
    assert.ok(slowBody.closedAfterMs >= 1400 && slowBody.closedAfterMs < 2500, `trickled body cut after ${slowBody.closedAfterMs} ms`);
    // a slow request that ends within the timeout is answered
    const inTime = await trickle(port, head + body, 5);
    assert.match(inTime.reply, /^HTTP\/1\.1 200/);
  } finally {
    await server.close();
  }
});

async function send(base: string, path: string, body: unknown, headers: Record<string, string> = {}) {
  const r = await fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: r.status, headers: r.headers, json: (await r.json()) as any };
}

test('TEI: POST /embed {inputs} answers [[...]]; normalize false and truncate false on a long text are clear 4xx; GET /info', async () => {
  const one = await post('/embed', { inputs: '一丁' });
  assert.equal(one.status, 200);
  assert.ok(Array.isArray(one.json) && one.json.length === 1 && (one.json as unknown as number[][])[0]!.length === 16);
  const direct = (await embedder.embed(['一丁', '万丈']));
  const two = (await post('/embed', { inputs: ['一丁', '万丈'], truncate: true })).json as unknown as number[][];
  two.forEach((v, i) => v.forEach((x, k) => assert.ok(Math.abs(x - direct[i]![k]!) < 1e-6)));
  // errors in TEI's shape: {error, error_type}, validation as 422
  const unnormalized = await post('/embed', { inputs: ['一丁'], normalize: false });
  assert.equal(unnormalized.status, 422);
  assert.equal(unnormalized.json.error_type, 'Validation');
  const long = await post('/embed', { inputs: ['一'.repeat(100)], truncate: false });
  assert.equal(long.status, 422);
  assert.match(long.json.error, /inputs\[0\] has more tokens than max_seq_length 32/);
  const info = await (await fetch(url + '/info')).json() as Record<string, any>;
  assert.equal(info.max_input_length, 32);
  assert.equal(info.model_dtype, 'float32');
  assert.equal(info.dimension, 16);
});

test('OpenAI: POST /v1/embeddings answers in OpenAI\'s shape, floats or base64, with usage and shortened dimensions', async () => {
  const r = await send(url, '/v1/embeddings', { input: ['一丁', '万丈三'], model: 'my-model' });
  assert.equal(r.status, 200);
  assert.equal(r.json.object, 'list');
  assert.equal(r.json.model, 'my-model');
  assert.deepEqual(r.json.data.map((d: any) => [d.object, d.index, d.embedding.length]), [['embedding', 0, 16], ['embedding', 1, 16]]);
  // tokens with [CLS] and [SEP]: 2 + 2, 3 + 2
  assert.deepEqual(r.json.usage, { prompt_tokens: 9, total_tokens: 9 });
  const b64 = await send(url, '/v1/embeddings', { input: '一丁', encoding_format: 'base64' });
  const bytes = Buffer.from(b64.json.data[0].embedding, 'base64');
  const decoded = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
  r.json.data[0].embedding.forEach((x: number, k: number) => assert.equal(decoded[k], Math.fround(x)));
  // a model trained without --matryoshka-dims serves only its full size
  const untrained = await send(url, '/v1/embeddings', { input: '一丁', dimensions: 4 });
  assert.equal(untrained.status, 400);
  assert.match(untrained.json.error.message, /dimensions 4: this model was trained for 16; .*serve --allow-untrained-dimensions/);
  assert.deepEqual([untrained.json.error.type, untrained.json.error.param, untrained.json.error.code], ['invalid_request_error', 'dimensions', 'validation']);
  assert.equal((await send(url, '/v1/embeddings', { input: '一丁', dimensions: 17 })).status, 400);
  assert.deepEqual((await send(url, '/v1/embeddings', { input: [1, 2] })).json.error.code, 'validation');
});

test('Matryoshka dimensions: trained ones served in both dialects (prefix renormalised), others refused 400 with the list; /info lists them with their recall', async () => {
  const inbatch = { ...embedder.config.inbatch, matryoshka: { dims: [16, 4], recall_at_10: { 16: 91.5, 4: 80.4 } } };
  const trained = { dim: embedder.dim, options: embedder.options, tokenizer: embedder.tokenizer, config: { ...embedder.config, inbatch }, embedEncoded: (e: Encoding[]) => embedder.embedEncoded(e) };
  const servers = [buildServer({ embedder: trained, maxTexts: 8, bodyLimit: 4096, maxK: 100 }), buildServer({ embedder, maxTexts: 8, bodyLimit: 4096, maxK: 100, allowUntrainedDimensions: true })];
  const [m, loose] = await Promise.all(servers.map(async (s) => { await s.listen({ port: 0, host: '127.0.0.1' }); return `http://127.0.0.1:${(s.server.address() as AddressInfo).port}`; }));
  try {
    const full = (await send(m!, '/v1/embeddings', { input: '一丁' })).json.data[0].embedding as number[];
    const norm = Math.hypot(...full.slice(0, 4));
    const expect = full.slice(0, 4).map((x) => x / norm);
    const openai = (await send(m!, '/v1/embeddings', { input: '一丁', dimensions: 4 })).json.data[0].embedding as number[];
    const tei = (await send(m!, '/embed', { inputs: '一丁', dimensions: 4 })).json as unknown as number[][];
    const own = (await send(m!, '/embed', { texts: ['一丁'], dimensions: 4 })).json;
    for (const v of [openai, tei[0]!, own.embeddings[0] as number[]]) v.forEach((x, k) => assert.ok(Math.abs(x - expect[k]!) < 1e-6, `${x} vs ${expect[k]}`));
    assert.equal(own.dim, 4);
    for (const [path, body] of [['/v1/embeddings', { input: '一丁', dimensions: 8 }], ['/embed', { inputs: '一丁', dimensions: 8 }]] as const) {
      const r = await send(m!, path, body);
      assert.equal(r.status, path === '/embed' ? 422 : 400);
      assert.match(path === '/embed' ? r.json.error : r.json.error.message, /dimensions 8: this model was trained for 16 \(Recall@10 91\.5\), 4 \(Recall@10 80\.4\)/);
    }
    const info = await (await fetch(m + '/info')).json() as Record<string, any>;
    assert.deepEqual(info.dimensions, [{ dimension: 16, recall_at_10: 91.5 }, { dimension: 4, recall_at_10: 80.4 }]);
    // --allow-untrained-dimensions: any prefix, renormalised
    const any = (await send(loose!, '/v1/embeddings', { input: '一丁', dimensions: 7 })).json.data[0].embedding as number[];
    assert.equal(any.length, 7);
    assert.ok(Math.abs(any.reduce((s, x) => s + x * x, 0) - 1) < 1e-5, 'shortened vectors are renormalised');
  } finally {
    await Promise.all(servers.map((s) => s.close()));
  }
});

test('--api-key: 401 without the Bearer key (health and metrics stay open); --max-concurrent-requests: a burst gets 429 overloaded; CORS', async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  const held = { dim: embedder.dim, options: embedder.options, tokenizer: embedder.tokenizer, config: embedder.config, embedEncoded: async (e: Encoding[]) => { await gate; return embedder.embedEncoded(e); } };
  const server = buildServer({ embedder: held, maxTexts: 8, bodyLimit: 4096, maxK: 100, apiKey: 'sekret', maxConcurrentRequests: 1, corsAllowOrigin: 'https://app.example' });
  await server.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
  try {
    const none = await send(base, '/embed', { texts: ['一'] });
    assert.equal(none.status, 401);
    assert.deepEqual(none.json, { error: 'unauthorized', message: 'send the API key as "Authorization: Bearer <key>"' });
    assert.equal(none.headers.get('www-authenticate'), 'Bearer');
    assert.equal((await send(base, '/embed', { texts: ['一'] }, { authorization: 'Bearer wrong!' })).status, 401);
    assert.equal((await fetch(base + '/health')).status, 200);
    const auth = { authorization: 'Bearer sekret' };
    // the first request holds the only slot; the burst behind it is shed at once
    const first = send(base, '/embed', { texts: ['一'] }, auth);
    let shed: Awaited<ReturnType<typeof send>> | undefined;
    for (let i = 0; i < 50 && shed?.status !== 429; i++) shed = await send(base, '/v1/embeddings', { input: '一' }, { ...auth, origin: 'https://app.example' });
    assert.equal(shed!.status, 429);
    assert.equal(shed!.json.error.code, 'overloaded');
    assert.equal(shed!.json.error.type, 'rate_limit_error');
    assert.equal(shed!.headers.get('access-control-allow-origin'), 'https://app.example');
    release();
    assert.equal((await first).status, 200);
    assert.equal((await send(base, '/v1/embeddings', { input: '一' }, auth)).status, 200, 'the slot is free again');
    const preflight = await fetch(base + '/v1/embeddings', { method: 'OPTIONS', headers: { origin: 'https://app.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' } });
    assert.equal(preflight.status, 204);
    assert.match(preflight.headers.get('access-control-allow-headers')!, /authorization/);
    assert.equal(preflight.headers.get('access-control-allow-origin'), 'https://app.example');
    // a 401 is readable by the page (CORS runs before authentication); another origin gets no grant
    const denied = await send(base, '/embed', { texts: ['一'] }, { origin: 'https://app.example' });
    assert.equal(denied.status, 401);
    assert.equal(denied.headers.get('access-control-allow-origin'), 'https://app.example');
    assert.equal((await send(base, '/embed', { texts: ['一'] }, { ...auth, origin: 'https://evil.example' })).headers.get('access-control-allow-origin'), null);
  } finally {
    release();
    await server.close();
  }
});

test('the OpenAI SDK (openai-node) gets embeddings from /v1/embeddings, with its default base64 transfer', async () => {
  const { default: OpenAI } = await import('openai');
  const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'unused-here', maxRetries: 0 });
  const r = await client.embeddings.create({ model: 'inbatch-test', input: ['一丁七', '万丈三'] });
  const direct = await embedder.embed(['一丁七', '万丈三']);
  assert.equal(r.data.length, 2);
  r.data.forEach((d, i) => d.embedding.forEach((x, k) => assert.ok(Math.abs(x - direct[i]![k]!) < 1e-6)));
  assert.equal(r.model, 'inbatch-test');
  assert.ok(r.usage.prompt_tokens > 0);
});

test('the OpenAI SDK reads inbatch\'s errors: message, type, param and code of 5 bad requests, and the 401', async () => {
  const { default: OpenAI } = await import('openai');
  const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'unused-here', maxRetries: 0 });
  const bad: [Record<string, unknown>, number, RegExp, string | null, string][] = [
    [{ input: '一丁', dimensions: 4 }, 400, /dimensions 4: this model was trained for 16/, 'dimensions', 'validation'],
    [{ input: [] }, 400, /input must NOT have fewer than 1 items/, 'input', 'validation'],
    [{ input: Array(9).fill('一') }, 400, /must NOT have more than 8 items/, 'input', 'validation'],
    [{ input: '一', encoding_format: 'int8' }, 400, /encoding_format must be equal to one of the allowed values/, 'encoding_format', 'validation'],
    [{ input: '一', temperature: 1 }, 400, /must NOT have additional properties/, 'temperature', 'validation'],
  ];
  for (const [body, status, message, param, code] of bad) {
    const e = await client.embeddings.create({ model: 'm', ...body } as never).then(() => undefined, (err: unknown) => err as InstanceType<typeof OpenAI.APIError>);
    assert.ok(e instanceof OpenAI.APIError, `${JSON.stringify(body)} was not refused`);
    assert.equal(e.status, status);
    assert.match(e.message, message);
    assert.deepEqual([e.param, e.code, e.type], [param, code, 'invalid_request_error'], JSON.stringify(body));
  }
  const locked = buildServer({ embedder, maxTexts: 8, bodyLimit: 4096, maxK: 100, apiKey: 'right' });
  await locked.listen({ port: 0, host: '127.0.0.1' });
  try {
    const wrong = new OpenAI({ baseURL: `http://127.0.0.1:${(locked.server.address() as AddressInfo).port}/v1`, apiKey: 'wrong', maxRetries: 0 });
    const e = await wrong.embeddings.create({ model: 'm', input: '一' }).then(() => undefined, (err: unknown) => err);
    assert.ok(e instanceof OpenAI.AuthenticationError);
    assert.match(e.message, /send the API key as "Authorization: Bearer <key>"/);
    assert.equal(e.type, 'authentication_error');
  } finally {
    await locked.close();
  }
});

/**
 * The checks of `promtool check metrics` that apply here, on the text exposition format: every
 * family has HELP and TYPE (before its samples), counters end in _total and nothing else does,
 * names are valid, histogram buckets are cumulative in ascending le with +Inf equal to _count.
 */
function lintExposition(text: string): string[] {
  const problems: string[] = [];
  const help = new Set<string>(), type = new Map<string, string>(), seen = new Set<string>();
  const buckets = new Map<string, { le: number; v: number }[]>(), counts = new Map<string, number>();
  const familyOf = (name: string) => {
    for (const suffix of ['_bucket', '_sum', '_count']) if (name.endsWith(suffix) && type.get(name.slice(0, -suffix.length)) === 'histogram') return name.slice(0, -suffix.length);
    return name;
  };
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const meta = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(line);
    if (meta) {
      const [, kind, name, rest] = meta;
      if (kind === 'HELP') { if (help.has(name!)) problems.push(`${name}: HELP twice`); help.add(name!); } else { if (type.has(name!)) problems.push(`${name}: TYPE twice`); type.set(name!, rest ?? ''); }
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!sample) { problems.push(`bad line: ${line}`); continue; }
    const [, name, labels = '', value] = sample;
    if (Number.isNaN(Number(value)) && !['+Inf', '-Inf', 'NaN'].includes(value!)) problems.push(`${name}: value ${value}`);
    const family = familyOf(name!);
    if (!seen.has(family)) {
      seen.add(family);
      const t = type.get(family);
      if (!t) problems.push(`${family}: no TYPE`);
      if (!help.has(family)) problems.push(`${family}: no HELP`);
      if (t === 'counter' && !family.endsWith('_total')) problems.push(`${family}: a counter without _total`);
      if (t && t !== 'counter' && family.endsWith('_total')) problems.push(`${family}: a ${t} named _total`);
    }
    if (name!.endsWith('_bucket')) {
      const le = /le="([^"]+)"/.exec(labels)![1]!;
      const key = family + labels.replace(/,?le="[^"]+"/, '');
      buckets.set(key, [...(buckets.get(key) ?? []), { le: le === '+Inf' ? Infinity : Number(le), v: Number(value) }]);
    }
    if (name!.endsWith('_count') && family !== name) counts.set(family + labels, Number(value));
  }
  for (const [key, list] of buckets) {
    for (let i = 1; i < list.length; i++) if (list[i]!.le <= list[i - 1]!.le || list[i]!.v < list[i - 1]!.v) problems.push(`${key}: buckets not cumulative in ascending le`);
    const last = list.at(-1)!;
    if (last.le !== Infinity) problems.push(`${key}: no +Inf bucket`);
    const count = counts.get(key.replace(/\{\}$/, ''));
    if (count !== undefined && count !== last.v) problems.push(`${key}: +Inf bucket ${last.v} differs from _count ${count}`);
  }
  return problems;
}

test('--max-batch-tokens: queued texts are cut into model calls within the budget, a request larger than it included; 2,048 OpenAI inputs with the defaults', async () => {
  const calls: number[] = [];
  const counting = { dim: embedder.dim, options: embedder.options, tokenizer: embedder.tokenizer, config: embedder.config, embedEncoded: async (e: Encoding[]) => { calls.push(e.length); return embedder.embedEncoded(e); } };
  // each text below is 3 characters: 5 tokens with [CLS] and [SEP]; a budget of 12 takes 2 texts per call
  const server = buildServer({ embedder: counting, maxTexts: 8, bodyLimit: 4096, maxK: 100, maxBatchTokens: 12 });
  await server.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
  try {
    const answers = await Promise.all(corpus.concat(['七万丈']).map((t) => send(base, '/embed', { texts: [t] })));
    assert.deepEqual(answers.map((a) => a.status), [200, 200, 200, 200, 200, 200]);
    assert.ok(calls.every((n) => n <= 2), `calls of ${calls.join(', ')} texts`);
    calls.length = 0;
    const texts = corpus.concat(['七万丈', '丁七万']);
    const big = await send(base, '/embed', { texts });
    assert.equal(big.status, 200);
    assert.deepEqual(calls, [2, 2, 2, 1], 'one request of 35 tokens, cut into calls of at most 12');
    const direct = await embedder.embed(texts);
    (big.json.embeddings as number[][]).forEach((v, i) => v.forEach((x, k) => assert.ok(Math.abs(x - direct[i]![k]!) < 1e-6)));
  } finally {
    await server.close();
  }
  const defaults = buildServer({ embedder, maxTexts: DEFAULT_SERVER.maxTexts, bodyLimit: DEFAULT_SERVER.bodyLimit, maxK: 100 });
  await defaults.listen({ port: 0, host: '127.0.0.1' });
  try {
    const { default: OpenAI } = await import('openai');
    const client = new OpenAI({ baseURL: `http://127.0.0.1:${(defaults.server.address() as AddressInfo).port}/v1`, apiKey: 'unused', maxRetries: 0 });
    const input = Array.from({ length: 2048 }, (_, i) => chars[i % 60]! + chars[(i * 7) % 60]! + chars[(i * 13) % 60]!);
    const r = await client.embeddings.create({ model: 'm', input });
    assert.equal(r.data.length, 2048);
    const sample = await embedder.embed([input[2047]!]);
    r.data[2047]!.embedding.forEach((x, k) => assert.ok(Math.abs(x - sample[0]![k]!) < 1e-6));
  } finally {
    await defaults.close();
  }
});
