// c10d collectives through the addon: two processes on 127.0.0.1 over gloo.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { loadNative, ProcessGroup } from '../../src/torch/index.js';
import { inbatch } from '../cli/cli-fixture.js';
import { freePort, needsGloo } from '../helpers.js';

const skip = needsGloo;

test('all-reduce, all-gather, broadcast and barrier across 2 processes; gradients summed, a token table over its used rows', { skip, timeout: 60_000 }, async () => {
  const port = await freePort();
  const outputs = await Promise.all([0, 1].map((rank) => new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, [new URL('./collectives-worker.js', import.meta.url).pathname], { env: { ...process.env, RANK: String(rank), WORLD_SIZE: '2', MASTER_PORT: String(port) } });
    let out = '', err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`rank ${rank} exited ${code}: ${err}`))));
  })));
  const results = outputs.map((o) => JSON.parse(o));
  for (const r of results) {
    assert.deepEqual(r.sum, [3, 30]);
    assert.deepEqual(r.gathered, [0, 0, 0, 1, 1, 1]);
    assert.deepEqual(r.shape, [2, 3]);
    assert.equal(r.root, 42);
    // row 1: rank 0 once (x1); row 3: rank 0 twice (x1) + rank 1 once (x2); row 6: rank 1 once (x2); the rest stay 0
    const expected = Array.from({ length: 8 }, (_, row) => ({ 1: 1, 3: 4, 6: 2 } as Record<number, number>)[row] ?? 0).flatMap((v) => [v, v, v]);
    assert.deepEqual(r.tableGrad, expected);
    assert.deepEqual(r.denseGrad, [3, 3]);
  }
});

test('a rendezvous nobody answers fails within its timeout, naming the rank and the address', { skip, timeout: 30_000 }, async () => {
  const port = await freePort();
  const started = Date.now();
  assert.throws(() => ProcessGroup.init({ masterAddr: '127.0.0.1', masterPort: port, rank: 1, worldSize: 2, timeoutMs: 2000 }),
    new RegExp(`worker rank 1 of 2: the rendezvous at 127\\.0\\.0\\.1:${port} \\(gloo\\) failed within 2 s`));
  assert.ok(Date.now() - started < 15_000);
});

test('NCCL asked of a build without it, or for CPU tensors, is refused with what to do', { skip }, () => {
  if (!loadNative().ncclAvailable()) {
    assert.throws(() => ProcessGroup.init({ masterAddr: '127.0.0.1', masterPort: 1, rank: 0, worldSize: 1, timeoutMs: 1000, backend: 'nccl' }),
      /this build of the libtorch addon has no NCCL: build it against a CUDA libtorch/);
  }
  const r = inbatch('train', '--model', 'unused', '--train-set', 'unused', '--save-dir', 'unused', '--backend', 'nccl');
  assert.equal(r.code, 2);
  assert.match(r.err, /--backend nccl reduces CUDA tensors: use it with --device cuda/);
});
