// Any model as a baseline: transformers.js / Optimum ONNX folders (their own pooling and prompts)
// and OpenAI / TEI endpoints (batched, retried, errors named), checked against inbatch's Embedder
// and against hand-computed poolings.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { exportModel } from '../../src/export/export-model.js';
import { FLOAT, GraphBuilder, INT64 } from '../../src/export/onnx-builder.js';
import { EndpointEmbedder } from '../../src/infer/endpoint.js';
import { Embedder } from '../../src/infer/embedder.js';
import { OnnxFolderEmbedder } from '../../src/infer/onnx-folder.js';
import { buildServer } from '../../src/serve/server.js';
import { writeTokenizerFiles } from '../../src/text/tokenizer-files.js';
import { cjkChars, microConfig, tempDir, tokenizerOf, writeRandomModel } from '../helpers.js';

const chars = cjkChars(40);
const tok = tokenizerOf(chars);
const work = tempDir();
const texts = ['一丁七', '万丈三上下', '不与', '丏丐丑丒专且丕世'];
let embedder: Embedder;

before(async () => {
  writeRandomModel(join(work.dir, 'm'), microConfig(tok.vocabSize, { pooling: 'mean' }), tok);
  exportModel(join(work.dir, 'm'), join(work.dir, 'onnx'), { fp16: false });
  embedder = await Embedder.load(join(work.dir, 'onnx'));
});
after(async () => { await embedder.release(); work.cleanup(); });

const close = (a: Float32Array[], b: Float32Array[], tol: number) => a.forEach((v, i) => v.forEach((x, k) => assert.ok(Math.abs(x - b[i]![k]!) <= tol, `text ${i} dim ${k}: ${x} vs ${b[i]![k]}`)));

test('an inbatch export read as an ONNX folder gives the Embedder\'s vectors', async () => {
  const folder = await OnnxFolderEmbedder.load(join(work.dir, 'onnx'));
  assert.equal(folder.dim, embedder.dim);
  close(await folder.embed(texts), await embedder.embed(texts), 1e-6);
  await folder.release();
});

/** An ONNX folder whose last_hidden_state is the token embedding table looked up: poolings are computable by hand. */
function lookupFolder(dir: string, table: Float32Array, dim: number, files: Record<string, unknown> = {}): void {
  const g = new GraphBuilder();
  const ids = g.input('input_ids', INT64, ['batch', 'seq']);
  g.input('attention_mask', INT64, ['batch', 'seq']);
  const w = g.weight('word_embeddings', table, [tok.vocabSize, dim]);
  g.rename(g.op('Gather', [w, ids], { axis: 0 }), 'last_hidden_state');
  g.output('last_hidden_state', FLOAT, ['batch', 'seq', dim]);
  mkdirSync(join(dir, 'onnx'), { recursive: true });
  writeFileSync(join(dir, 'onnx', 'model.onnx'), g.encode('lookup', 17, 'test'));
  writeTokenizerFiles(tok, dir, 16);
  for (const [name, json] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), JSON.stringify(json));
  }
}

test('a last_hidden_state folder: mean over real tokens, cls, the folder\'s pooling and prompts, normalised', async () => {
  const dim = 3;
  const table = Float32Array.from({ length: tok.vocabSize * dim }, (_, i) => ((i * 7919) % 23) - 11);
  const row = (id: number) => Array.from(table.subarray(id * dim, (id + 1) * dim));
  const unit = (v: number[]) => { const n = Math.hypot(...v); return v.map((x) => x / n); };
  const expectMean = (text: string) => {
    const ids = tok.encode(text, 16).inputIds;
    return unit(ids.map(row).reduce((s, r) => s.map((x, j) => x + r[j]!), [0, 0, 0]).map((x) => x / ids.length));
  };
  lookupFolder(join(work.dir, 'mean'), table, dim);
  const mean = await OnnxFolderEmbedder.load(join(work.dir, 'mean'));
  assert.equal(mean.pooling, 'mean');
  // texts of different lengths share a batch: padding must not enter the mean
  (await mean.embed(texts)).forEach((v, i) => expectMean(texts[i]!).forEach((x, k) => assert.ok(Math.abs(v[k]! - x) < 1e-6, `${texts[i]}: ${Array.from(v)} vs ${expectMean(texts[i]!)}`)));
  lookupFolder(join(work.dir, 'cls'), table, dim, {
    '1_Pooling/config.json': { pooling_mode_cls_token: true, pooling_mode_mean_tokens: false },
    'config_sentence_transformers.json': { prompts: { query: '丁', document: '七' } },
  });
  const cls = await OnnxFolderEmbedder.load(join(work.dir, 'cls'));
  assert.equal(cls.pooling, 'cls');
  const [v] = await cls.embed(['一']);
  unit(row(tok.encode('x', 16).inputIds[0]!)).forEach((x, k) => assert.ok(Math.abs(v![k]! - x) < 1e-6));
  assert.deepEqual(cls.prefixes, { query: '丁', document: '七' });
  const meanPrompted = await OnnxFolderEmbedder.load(join(work.dir, 'cls'), { pooling: 'mean' });
  const [q] = await meanPrompted.embedQueries(['一']);
  expectMean('丁一').forEach((x, k) => assert.ok(Math.abs(q![k]! - x) < 1e-6, 'the query prompt is prepended'));
  for (const e of [mean, cls, meanPrompted]) await e.release();
});

test('endpoints: inbatch serve as OpenAI (/v1) and as TEI gives the Embedder\'s vectors, in batches', async () => {
  const app = buildServer({ embedder, maxTexts: 8, bodyLimit: 1 << 20, maxK: 10 });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  try {
    const many = Array.from({ length: 30 }, (_, i) => texts[i % texts.length]! + chars[i % chars.length]);
    const expected = await embedder.embed(many);
    for (const url of [`${base}/v1`, base]) {
      const remote = await EndpointEmbedder.connect(url, { batchSize: 8, concurrency: 3 });
      assert.equal(remote.dim, embedder.dim);
      close(await remote.embed(many), expected, 1e-6);
    }
  } finally {
    await app.close();
  }
});

test('endpoints: 429 and 5xx are retried (Retry-After honoured); other errors name the URL without its password, the status and the message', async () => {
  let calls = 0;
  let mode: 'flaky' | 'bad' | 'resize' = 'flaky';
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      calls++;
      const n = (JSON.parse(body) as { inputs: string[] }).inputs.length;
      if (mode === 'flaky' && calls % 3 !== 0) { res.writeHead(calls % 3 === 1 ? 429 : 503, { 'retry-after': '0' }).end('{"error":"busy"}'); return; }
      if (mode === 'bad') { res.writeHead(422, { 'content-type': 'application/json' }).end('{"error":"inputs must not be empty","error_type":"Validation"}'); return; }
      const dim = mode === 'resize' && calls > 1 ? 3 : 2;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(Array.from({ length: n }, () => Array.from({ length: dim }, () => 1))));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://user:secret@127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const e = await EndpointEmbedder.connect(url, { backoffMs: 1 });
    assert.equal(e.dim, 2);
    assert.equal((await e.embed(['a', 'b'])).length, 2);
    assert.ok(calls >= 6, `${calls} calls: the 429 and 503 answers were retried`);
    mode = 'bad';
    await assert.rejects(e.embed(['a']), (err: Error) => {
      assert.match(err.message, /^http:\/\/127\.0\.0\.1:\d+\/embed: HTTP 422: inputs must not be empty$/);
      assert.ok(!err.message.includes('secret'));
      return true;
    });
    mode = 'resize';
    calls = 0;
    const resized = await EndpointEmbedder.connect(url, { backoffMs: 1, batchSize: 1, concurrency: 1 });
    await assert.rejects(resized.embed(['a', 'b']), /a 3-d embedding after 2-d ones/);
    await assert.rejects(EndpointEmbedder.connect('http://127.0.0.1:1/v1', { retries: 1, backoffMs: 1 }), /127\.0\.0\.1:1\/v1\/embeddings: request failed.*after 2 tries/);
  } finally {
    server.close();
  }
});
