// A consumer project installs inbatch from its packed tarball as a user would (`npm install inbatch`), with
// onnxruntime-node's supported ONNXRUNTIME_NODE_INSTALL=skip (its install step otherwise downloads CUDA
// binaries from outside the npm registry), and embeds with an export: the same vectors as this checkout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportModel } from '../../src/export/export-model.js';
import { Embedder } from '../../src/infer/embedder.js';
import { cjkChars, microConfig, repoRoot, tempDir, tokenizerOf, writeRandomModel } from '../helpers.js';

test('npm install of the packed inbatch in a fresh project (ONNXRUNTIME_NODE_INSTALL=skip) embeds as this checkout does', { timeout: 300_000 }, async () => {
  const { dir, cleanup } = tempDir();
  try {
    const tok = tokenizerOf(cjkChars(30));
    writeRandomModel(join(dir, 'm'), microConfig(tok.vocabSize, { pooling: 'mean' }), tok, 2);
    exportModel(join(dir, 'm'), join(dir, 'onnx'), { fp16: false });
    // the tarball npm publishes (dist is built by the test command already)
    const pack = spawnSync('npm', ['pack', '--ignore-scripts', '--pack-destination', dir], { cwd: repoRoot, encoding: 'utf8' });
    assert.equal(pack.status, 0, pack.stderr);
    const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'))!;
    const consumer = join(dir, 'consumer');
    spawnSync('mkdir', [consumer]);
    writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', type: 'module', private: true }));
    const env: NodeJS.ProcessEnv = { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip', INBATCH_SKIP_NATIVE: '1' };
    for (const k of Object.keys(env)) if (k.startsWith('npm_')) delete env[k]; // not this checkout's npm settings
    const install = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', join(dir, tarball)], { cwd: consumer, env, encoding: 'utf8' });
    assert.equal(install.status, 0, install.stderr);
    writeFileSync(join(consumer, 'embed.mjs'), "import { Embedder } from 'inbatch';\nconst e = await Embedder.load(process.argv[2]);\nconsole.log(JSON.stringify(Array.from((await e.embed(['一丁七']))[0])));\n");
    const run = spawnSync('node', ['embed.mjs', join(dir, 'onnx')], { cwd: consumer, encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const theirs = JSON.parse(run.stdout) as number[];
    const ours = (await (await Embedder.load(join(dir, 'onnx'))).embed(['一丁七']))[0]!;
    assert.equal(theirs.length, ours.length);
    theirs.forEach((x, i) => assert.ok(Math.abs(x - ours[i]!) < 1e-6));
  } finally {
    cleanup();
  }
});
