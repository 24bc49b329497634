// The package entry point: what `import ... from 'inbatch'` gives, and what it must not load.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot, requiredOrSkip } from './helpers.js';

test('the library entry exports the public API', async () => {
  const inbatch = await import('../src/index.js');
  for (const name of ['Embedder', 'exportModel', 'buildServer', 'DualEncoder', 'Trainer', 'inBatchNegativesLoss', 'HnswIndex', 'ExactIndex', 'loadIndex',
    'successAtN', 'evaluateRun', 'BertTokenizer', 'loadTokenizer', 'readPairs', 'embedCorpus', 'CorpusIndex', 'RecallEvaluator', 'vectorDrift', 'listCheckpoints', 'Bm25Index', 'reciprocalRankFusion', 'fuseRuns', 'HybridRetriever']) {
    assert.equal(typeof (inbatch as Record<string, unknown>)[name], 'function', name);
  }
  assert.equal(typeof inbatch.Embedder.load, 'function');
});

/** Runs code in a fresh process; returns the CommonJS modules it loaded and the native objects mapped into it. */
function loadedBy(code: string): { cjs: string[]; maps: string[] } {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', `
    import { createRequire } from 'node:module';
    import { readFileSync } from 'node:fs';
    ${code}
    const cjs = Object.keys(createRequire(import.meta.url).cache);
    const maps = readFileSync('/proc/self/maps', 'utf8').split('\\n').map((l) => l.split(/\\s+/)[5] ?? '');
    console.log(JSON.stringify({ cjs, maps: [...new Set(maps.filter((p) => p.endsWith('.node') || p.includes('libtorch')))] }));
  `], { encoding: 'utf8', cwd: repoRoot });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

const HEAVY = ['onnxruntime-node', 'hnswlib-node', 'protobufjs', 'onnx-proto', 'fastify', 'prom-client', 'pg', 'pgvector'];

test('importing the library or a room loads neither libtorch nor onnxruntime, hnswlib, protobufjs or fastify', () => {
  for (const entry of ['index.js', 'train/index.js', 'infer/index.js', 'serve/index.js', 'retrieval/index.js', 'export/index.js', 'weights/index.js']) {
    const { cjs, maps } = loadedBy(`await import(${JSON.stringify(join(repoRoot, 'dist', 'src', entry))});`);
    for (const heavy of HEAVY) assert.deepEqual(cjs.filter((p) => p.includes(`node_modules/${heavy}/`)), [], `${entry} loaded ${heavy}`);
    assert.deepEqual(maps, [], `${entry} mapped native code`);
  }
  // the probe does see a load: building an HNSW index loads hnswlib and maps its addon
  const used = loadedBy(`const { HnswIndex } = await import(${JSON.stringify(join(repoRoot, 'dist', 'src', 'index.js'))}); new HnswIndex(4, 10);`);
  assert.ok(used.cjs.some((p) => p.includes('node_modules/hnswlib-node/')));
  assert.ok(used.maps.some((p) => p.includes('hnswlib')), used.maps.join(', '));
});

test('a required dependency that is missing fails under INBATCH_REQUIRE_NATIVE=1 instead of skipping', () => {
  const saved = process.env.INBATCH_REQUIRE_NATIVE;
  try {
    process.env.INBATCH_REQUIRE_NATIVE = '1';
    assert.throws(() => requiredOrSkip('gloo is missing'), /INBATCH_REQUIRE_NATIVE=1 but gloo is missing/);
    assert.equal(requiredOrSkip(false), false);
    delete process.env.INBATCH_REQUIRE_NATIVE;
    assert.equal(requiredOrSkip('gloo is missing'), 'gloo is missing');
  } finally {
    if (saved === undefined) delete process.env.INBATCH_REQUIRE_NATIVE;
    else process.env.INBATCH_REQUIRE_NATIVE = saved;
  }
});
