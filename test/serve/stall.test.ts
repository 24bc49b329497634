// One request must not stall the server: a megabyte of long unknown words, in each of the shapes
// that used to hold the event loop for 20-45 s, is answered while /health and a normal request
// keep answering within a second. Also the protocol edges of the hardening round.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { exportModel } from '../../src/export/export-model.js';
import { Embedder } from '../../src/infer/embedder.js';
import { buildServer } from '../../src/serve/server.js';
import { BertTokenizer } from '../../src/text/bert-tokenizer.js';
import { Random } from '../../src/util/random.js';
import { cjkChars, microConfig, SPECIAL, tempDir, writeRandomModel } from '../helpers.js';

const letters = 'abcdefghijklmnopqrstuvwxyz';
// pieces up to 16 letters long, as a real English WordPiece vocabulary has
const tokens = [...SPECIAL, ...cjkChars(30), ...letters, ...Array.from(letters, (c) => `##${c}`), 'abcdefghijklmnop', '##qrstuvwxyzabcdef'];
const tok = new BertTokenizer(new Map(tokens.map((t, i) => [t, i])));
const work = tempDir();
let server: FastifyInstance, base: string, embedder: Embedder;

before(async () => {
  writeRandomModel(join(work.dir, 'm'), microConfig(tok.vocabSize, { pooling: 'mean' }), tok);
  exportModel(join(work.dir, 'm'), join(work.dir, 'onnx'), { fp16: false });
  embedder = await Embedder.load(join(work.dir, 'onnx'));
  server = buildServer({ embedder, maxTexts: 256, bodyLimit: 2 << 20, maxK: 10, maxBatchTokens: 4096, apiKey: 'k' });
  await server.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
});
after(async () => { await server.close(); await embedder.release(); work.cleanup(); });

const random = new Random(5);
const word = () => Array.from({ length: 100 }, () => letters[Math.floor(random.next() * 26)]).join('');
const text = (chars: number) => { let t = ''; while (t.length < chars) t += word() + ' '; return t.slice(0, chars); };
const auth = { authorization: 'Bearer k', 'content-type': 'application/json' };
const send = (path: string, body: unknown, headers: Record<string, string> = auth) => fetch(base + path, { method: 'POST', headers, body: JSON.stringify(body) });

test('a megabyte of long unknown words, five ways: /health and a normal request answer within a second meanwhile', { timeout: 120_000 }, async () => {
  const eighty = Array.from({ length: 80 }, () => text(12_900));
  const many = Array.from({ length: 256 }, () => text(4_000));
  const heavy = [
    ['/embed', { texts: eighty }], ['/v1/embeddings', { input: eighty }], ['/embed', { inputs: eighty, truncate: false }],
    ['/embed', { texts: many }], ['/similarity', { query: eighty[0], texts: eighty.slice(1) }],
  ] as const;
  for (const [path, body] of heavy) {
    let done = false;
    const started = Date.now();
    const request = send(path, body).then(async (r) => { done = true; return { status: r.status, ms: Date.now() - started, json: await r.json() as Record<string, unknown> }; });
    const worst = { health: 0, normal: 0 };
    while (!done) {
      const t0 = Date.now();
      assert.equal((await fetch(`${base}/health`)).status, 200);
      worst.health = Math.max(worst.health, Date.now() - t0);
      const t1 = Date.now();
      assert.equal((await send('/embed', { texts: ['一丁'] })).status, 200);
      worst.normal = Math.max(worst.normal, Date.now() - t1);
      await new Promise((r) => setTimeout(r, 20));
    }
    const r = await request;
    assert.ok(worst.health < 1000 && worst.normal < 1000, `${path}: /health waited ${worst.health} ms, a normal request ${worst.normal} ms`);
    assert.ok(r.ms < 20_000, `${path} took ${r.ms} ms`);
    // the long texts are cut (200), refused as too long for truncate: false (TEI: 422), or over the token budget (413)
    assert.ok([200, 400, 413, 422].includes(r.status), `${path}: ${r.status}`);
  }
});

test('normalize: false is refused in both dialects; the Bearer scheme is case-insensitive; a text/plain body is 415', async () => {
  for (const body of [{ texts: ['一'], normalize: false }, { inputs: ['一'], normalize: false }]) {
    const r = await send('/embed', body);
    const json = (await r.json()) as { message?: string; error: string };
    assert.equal(r.status, 'inputs' in body ? 422 : 400); // TEI answers validation errors with 422
    assert.match('inputs' in body ? json.error : json.message!, /normalize: false cannot be served/);
  }
  assert.equal((await send('/embed', { texts: ['一'] }, { authorization: 'bearer k', 'content-type': 'application/json' })).status, 200);
  assert.equal((await send('/embed', { texts: ['一'] }, { authorization: 'BEARER   k', 'content-type': 'application/json' })).status, 200);
  assert.equal((await send('/embed', { texts: ['一'] }, { authorization: 'Basic k', 'content-type': 'application/json' })).status, 401);
  const plain = await fetch(`${base}/embed`, { method: 'POST', headers: { authorization: 'Bearer k', 'content-type': 'text/plain' }, body: '{"texts":["一"]}' });
  assert.equal(plain.status, 415);
  assert.equal(((await plain.json()) as { error: string }).error, 'unsupported_media_type');
});

