// The search playground in a real browser: headless Chromium (Debian's package, driven by playwright-core)
// loads GET /, takes the API key, types a query and shows dense, BM25 and hybrid results side by side,
// the same as /search answers; /info and the model card are shown too.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { exportModel } from '../../src/export/export-model.js';
import { Embedder } from '../../src/infer/embedder.js';
import { CorpusIndex } from '../../src/retrieval/corpus-index.js';
import { buildServer } from '../../src/serve/server.js';
import { DEFAULT_HNSW } from '../../src/vectors/hnsw.js';
import { cjkChars, microConfig, tempDir, tokenizerOf, writeRandomModel } from '../helpers.js';

const browserPath = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((p): p is string => Boolean(p && existsSync(p)));
const skip = browserPath ? false : 'no Chromium here: install Debian\'s chromium package (scripts/install-system-deps.sh does) or set CHROMIUM_PATH';

const chars = cjkChars(60);
const tok = tokenizerOf(chars);
const work = tempDir();
let app: FastifyInstance, url: string, embedder: Embedder;
const corpus = Array.from({ length: 40 }, (_, i) => chars[i % 60]! + chars[(i * 7 + 3) % 60]! + chars[(i * 11 + 5) % 60]! + chars[(i * 13 + 1) % 60]!);

before(async () => {
  if (skip) return;
  writeRandomModel(join(work.dir, 'm'), microConfig(tok.vocabSize, { pooling: 'mean' }), tok, 6);
  exportModel(join(work.dir, 'm'), join(work.dir, 'onnx'), { fp16: false });
  embedder = await Embedder.load(join(work.dir, 'onnx'));
  const index = (await CorpusIndex.fromTexts(embedder, corpus, { kind: 'exact', hnsw: DEFAULT_HNSW })).withLexical();
  app = buildServer({ embedder, index, maxTexts: 64, bodyLimit: 1 << 20, maxK: 100, apiKey: 'sekret', modelName: 'playground-model',
    modelCard: readFileSync(join(work.dir, 'onnx', 'README.md'), 'utf8') });
  await app.listen({ port: 0, host: '127.0.0.1' });
  url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});

after(async () => {
  if (skip) return;
  await app.close();
  await embedder.release();
  work.cleanup();
});

test('the playground in headless Chromium: API key, a typed query, three columns equal to /search; /info and the card shown', { skip, timeout: 120_000 }, async () => {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: browserPath, args: ['--no-sandbox', '--disable-gpu'] });
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url + '/');
    assert.equal(await page.title(), 'inbatch playground');
    // without the key the page shows the server's 401
    await page.waitForFunction(() => document.getElementById('info')!.textContent!.length > 0);
    assert.match(await page.textContent('#info') ?? '', /401/);
    await page.fill('#api-key', 'sekret');
    await page.dispatchEvent('#api-key', 'change');
    await page.waitForFunction(() => document.getElementById('info')!.textContent!.includes('playground-model'));
    await page.waitForFunction(() => document.getElementById('card')!.textContent!.includes('pipeline_tag: feature-extraction'));
    const query = corpus[7]!.slice(0, 3);
    await page.fill('#query', query);
    await page.press('#query', 'Enter');
    await page.waitForFunction((q) => document.body.dataset.searched === q, query);
    for (const retriever of ['dense', 'bm25', 'hybrid']) {
      const shown = await page.$$eval(`section[data-retriever="${retriever}"] li.hit`, (items) => items.map((li) => ({
        rank: Number(li.querySelector('.rank')!.textContent), text: li.querySelector('.text')!.textContent!, score: Number(li.querySelector('.score')!.textContent),
      })));
      const expected = await (await fetch(url + '/search', { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer sekret' }, body: JSON.stringify({ query, k: 10, retriever }) })).json() as { results: { text: string; score: number }[] };
      // BM25 ranks only texts that share a term with the query
      assert.equal(shown.length, expected.results.length, retriever);
      assert.ok(shown.length >= (retriever === 'bm25' ? 1 : 10), `${retriever}: ${shown.length} results`);
      assert.deepEqual(shown.map((s) => s.rank), Array.from({ length: shown.length }, (_, i) => i + 1));
      assert.deepEqual(shown.map((s) => s.text), expected.results.map((r) => r.text), `${retriever}: the page shows what /search ranks`);
      shown.forEach((s, i) => assert.ok(Math.abs(s.score - expected.results[i]!.score) < 1e-4, `${retriever} score ${i}`));
    }
    const bm25Top = await page.textContent('section[data-retriever="bm25"] li.hit .text');
    assert.ok(bm25Top!.includes(query[0]!), 'BM25 ranks a text sharing the query\'s characters first');
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});

test('GET / and /playground.js are served locally with a strict CSP and stay open under --api-key; /card is not', { skip }, async () => {
  const page = await fetch(url + '/');
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-security-policy')!, /script-src 'self'/);
  const html = await page.text();
  assert.doesNotMatch(html, /https?:\/\//, 'nothing from another origin');
  assert.equal((await fetch(url + '/playground.js')).status, 200);
  assert.equal((await fetch(url + '/card')).status, 401);
  const card = await fetch(url + '/card', { headers: { authorization: 'Bearer sekret' } });
  assert.equal(card.status, 200);
  assert.match(await card.text(), /^---\nlibrary_name: transformers\.js/);
});
