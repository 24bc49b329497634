// Data-parallel training over gloo on 127.0.0.1: 2 workers x 16 rows train exactly like 1 process x 32
// (negatives gathered across workers, a hard-negative column), and a killed worker stops the run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readSafetensors } from '../../src/weights/safetensors.js';
import { cli, inbatch, inbatchChild } from '../cli/cli-fixture.js';
import { freePort, needsGloo, tempDir, writeVocab } from '../helpers.js';
import { SYNTHETIC_CHARS, syntheticPairs } from './synthetic.js';

const skip = needsGloo;

function world(dir: string) {
  const vocab = writeVocab(dir, SYNTHETIC_CHARS);
  const { train } = syntheticPairs(40, 12, 31);
  writeFileSync(join(dir, 'train.tsv'), train.map((p, i) => `${p.query}\t${p.positive}${i % 2 ? `\t${train[(i + 17) % train.length]!.positive}` : ''}\n`).join(''));
  assert.equal(inbatch('init', '--config', 'tiny', '--vocab', vocab, '--max-seq-length', '16', '--save-dir', join(dir, 'init')).code, 0);
  assert.equal(inbatch('prepare', '--train-set', join(dir, 'train.tsv'), '--model', join(dir, 'init'), '--output', join(dir, 'prep')).code, 0);
}

function maxDiff(a: string, b: string): number {
  const x = readSafetensors(a).tensors, y = readSafetensors(b).tensors;
  let d = 0;
  for (const [name, t] of x) t.data.forEach((v, i) => { d = Math.max(d, Math.abs(v - y.get(name)!.data[i]!)); });
  return d;
}

test('2 workers x --batch-size 16 end with the weights of 1 process x 32 after 15 steps', { skip, timeout: 180_000 }, async () => {
  const { dir, cleanup } = tempDir();
  try {
    world(dir);
    const common = ['--model', join(dir, 'init'), '--train-set', join(dir, 'prep'), '--max-steps', '15', '--save-steps', '0', '--learning-rate', '1e-3'];
    const one = inbatch('train', ...common, '--save-dir', join(dir, 'one'), '--batch-size', '32');
    assert.equal(one.code, 0, one.err);
    const two = inbatch('train', ...common, '--save-dir', join(dir, 'two'), '--batch-size', '16', '--nproc-per-node', '2', '--master-port', String(await freePort()));
    assert.equal(two.code, 0, two.err);
    assert.match(two.err, /starting 2 worker\(s\) of 2/);
    assert.equal(JSON.parse(two.out).steps, 15);
    const d = maxDiff(join(dir, 'one', 'model_final', 'model.safetensors'), join(dir, 'two', 'model_final', 'model.safetensors'));
    console.log(`2 x 16 vs 1 x 32 after 15 steps: max weight difference ${d}`);
    assert.ok(d <= 1e-4, `max weight difference ${d}`);
    // GradCache and workers combine: chunks of 8 rows on each of the 2 workers
    const cached = inbatch('train', ...common, '--save-dir', join(dir, 'cached'), '--batch-size', '16', '--nproc-per-node', '2', '--grad-cache-chunk-size', '8', '--master-port', String(await freePort()));
    assert.equal(cached.code, 0, cached.err);
    const dc = maxDiff(join(dir, 'one', 'model_final', 'model.safetensors'), join(dir, 'cached', 'model_final', 'model.safetensors'));
    console.log(`2 x 16 in GradCache chunks of 8 vs 1 x 32: max weight difference ${dc}`);
    assert.ok(dc <= 1e-4, `GradCache with workers: max weight difference ${dc}`);
    // false-negative masking over the gathered global batch: 2 workers mask what 1 process does
    const fn = ['--false-negative-margin', '0'];
    const oneMasked = inbatch('train', ...common, ...fn, '--save-dir', join(dir, 'one-fn'), '--batch-size', '32', '--logging-steps', '5');
    assert.equal(oneMasked.code, 0, oneMasked.err);
    const twoMasked = inbatch('train', ...common, ...fn, '--save-dir', join(dir, 'two-fn'), '--batch-size', '16', '--nproc-per-node', '2', '--master-port', String(await freePort()), '--logging-steps', '5');
    assert.equal(twoMasked.code, 0, twoMasked.err);
    const dm = maxDiff(join(dir, 'one-fn', 'model_final', 'model.safetensors'), join(dir, 'two-fn', 'model_final', 'model.safetensors'));
    console.log(`false-negative masking, 2 x 16 vs 1 x 32: max weight difference ${dm}`);
    const logged = (d: string) => readFileSync(join(dir, d, 'train_log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.false_negatives_masked !== undefined).map((e) => e.false_negatives_masked);
    // float32 rounding of other summation orders reaches AdamW's normalised update on weights whose
    // gradient is near zero, and masking (-inf logits) leaves more of those: 2e-4 here where the
    // masks agree (same counts at every log, losses within 1e-5); a wrong mask moves weights by ~1e-2
    const changed = maxDiff(join(dir, 'one', 'model_final', 'model.safetensors'), join(dir, 'one-fn', 'model_final', 'model.safetensors'));
    console.log(`masked vs unmasked, 1 x 32: max weight difference ${changed}`);
    assert.ok(dm <= 5e-4 && dm < changed / 10, `masked: max weight difference ${dm} (masking itself moved weights by ${changed})`);
    assert.ok(logged('one-fn').some((m: number) => m > 0), 'the log counts masked negatives');
    assert.deepEqual(logged('two-fn'), logged('one-fn'), 'rank 0 of 2 workers counts the same masked negatives as 1 process');
    // logQ, a memory bank of the gathered titles (used from step 3) and Matryoshka: 2 workers train as 1 process
    const opts = ['--logq-correction', '--memory-bank-size', '64', '--memory-bank-warmup', '3', '--matryoshka-dims', '256,64'];
    const oneOpts = inbatch('train', ...common, ...opts, '--save-dir', join(dir, 'one-opts'), '--batch-size', '32', '--logging-steps', '5');
    assert.equal(oneOpts.code, 0, oneOpts.err);
    const twoOpts = inbatch('train', ...common, ...opts, '--save-dir', join(dir, 'two-opts'), '--batch-size', '16', '--nproc-per-node', '2', '--master-port', String(await freePort()), '--logging-steps', '5');
    assert.equal(twoOpts.code, 0, twoOpts.err);
    const dOpts = maxDiff(join(dir, 'one-opts', 'model_final', 'model.safetensors'), join(dir, 'two-opts', 'model_final', 'model.safetensors'));
    const optsMoved = maxDiff(join(dir, 'one', 'model_final', 'model.safetensors'), join(dir, 'one-opts', 'model_final', 'model.safetensors'));
    console.log(`logQ + bank + Matryoshka, 2 x 16 vs 1 x 32: max weight difference ${dOpts} (the options moved weights by ${optsMoved})`);
    assert.ok(dOpts <= 5e-4 && dOpts < optsMoved / 10, `options: max weight difference ${dOpts} (the options moved weights by ${optsMoved})`);
    const bankUsed = (d: string) => readFileSync(join(dir, d, 'train_log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.bank_negatives !== undefined).map((e) => e.bank_negatives);
    assert.deepEqual(bankUsed('two-opts'), bankUsed('one-opts'));
    assert.ok(bankUsed('one-opts').at(-1) === 64, 'the bank is full and used by the end');
    // a dual bank: the gathered queries and their keys too, the same on every rank
    const dual = [...opts, '--memory-bank-queries'];
    const oneDual = inbatch('train', ...common, ...dual, '--save-dir', join(dir, 'one-dual'), '--batch-size', '32');
    assert.equal(oneDual.code, 0, oneDual.err);
    const twoDual = inbatch('train', ...common, ...dual, '--save-dir', join(dir, 'two-dual'), '--batch-size', '16', '--nproc-per-node', '2', '--master-port', String(await freePort()));
    assert.equal(twoDual.code, 0, twoDual.err);
    const dDual = maxDiff(join(dir, 'one-dual', 'model_final', 'model.safetensors'), join(dir, 'two-dual', 'model_final', 'model.safetensors'));
    const dualMoved = maxDiff(join(dir, 'one-opts', 'model_final', 'model.safetensors'), join(dir, 'one-dual', 'model_final', 'model.safetensors'));
    console.log(`dual bank, 2 x 16 vs 1 x 32: max weight difference ${dDual} (the bank's queries moved weights by ${dualMoved})`);
    assert.ok(dDual <= 5e-4 && dDual < dualMoved / 10, `dual bank: max weight difference ${dDual} (its queries moved weights by ${dualMoved})`);
    // and without gathering the negatives of the other worker, the runs would differ: the check can fail
    const half = inbatch('train', ...common, '--save-dir', join(dir, 'half'), '--batch-size', '16');
    assert.equal(half.code, 0, half.err);
    assert.ok(maxDiff(join(dir, 'one', 'model_final', 'model.safetensors'), join(dir, 'half', 'model_final', 'model.safetensors')) > 1e-3);
  } finally {
    cleanup();
  }
});

type Exit = { code: number | null; err: string };

/**
 * One launcher per "machine" (node ranks 0 and 1, one worker each) on 127.0.0.1, each with its own save
 * folder `<save><node>`, as machines without shared storage have; --batch-size 16 each.
 */
function twoNodes(dir: string, save: string, port: string, args: string[]): { child: ChildProcess; exited: Promise<Exit> }[] {
  return [0, 1].map((node) => {
    const child = inbatchChild('train', '--model', join(dir, 'init'), '--train-set', join(dir, 'prep'), '--save-dir', join(dir, `${save}${node}`), '--batch-size', '16',
      '--learning-rate', '1e-3', '--nproc-per-node', '1', '--nnodes', '2', '--node-rank', String(node), '--master-addr', '127.0.0.1', '--master-port', port, ...args);
    let err = '';
    child.stderr.on('data', (d) => { err += d; });
    return { child, exited: new Promise<Exit>((resolve) => child.on('exit', (code) => resolve({ code, err }))) };
  });
}

const until = async (done: () => boolean) => { while (!done()) await new Promise((r) => setTimeout(r, 50)); };

test('two "machines" (--nnodes 2, a launcher per --node-rank, rendezvous at --master-addr) train as one process x 32', { skip, timeout: 180_000 }, async () => {
  const { dir, cleanup } = tempDir();
  try {
    world(dir);
    const single = (steps: string, save: string) => {
      const r = inbatch('train', '--model', join(dir, 'init'), '--train-set', join(dir, 'prep'), '--max-steps', steps, '--save-steps', '0', '--learning-rate', '1e-3',
        '--save-dir', join(dir, save), '--batch-size', '32');
      assert.equal(r.code, 0, r.err);
      return join(dir, save, 'model_final', 'model.safetensors');
    };
    const one = single('15', 'one');
    const [n0, n1] = await Promise.all(twoNodes(dir, 'node', String(await freePort()), ['--max-steps', '15', '--save-steps', '0']).map((l) => l.exited));
    assert.equal(n0!.code, 0, n0!.err);
    assert.equal(n1!.code, 0, n1!.err);
    assert.match(n0!.err, /starting 1 worker\(s\) of 2/);
    assert.ok(existsSync(join(dir, 'node0', 'model_final', 'model.safetensors')));
    assert.ok(!existsSync(join(dir, 'node1', 'model_final')), 'only rank 0 writes the model');
    const d = maxDiff(one, join(dir, 'node0', 'model_final', 'model.safetensors'));
    console.log(`2 nodes x 1 worker x 16 vs 1 x 32 after 15 steps: max weight difference ${d}`);
    assert.ok(d <= 1e-4, `max weight difference ${d}`);

    // Ctrl-C, then a resume where only node 0 has the checkpoints (no shared folder): node 1 takes rank
    // 0's step, data position, weights and optimizer moments, and the run ends as the uninterrupted one
    const straight = single('60', 'straight');
    const cutArgs = ['--max-steps', '60', '--save-steps', '5'];
    const cutting = twoNodes(dir, 'cut', String(await freePort()), cutArgs);
    await until(() => existsSync(join(dir, 'cut0', 'checkpoint-10')));
    for (const l of cutting) l.child.kill('SIGINT');
    for (const r of await Promise.all(cutting.map((l) => l.exited))) assert.equal(r.code, 130, r.err);
    assert.ok(!existsSync(join(dir, 'cut1', 'checkpoint-10')), 'node 1 writes no checkpoints');
    const resumed = await Promise.all(twoNodes(dir, 'cut', String(await freePort()), [...cutArgs, '--resume']).map((l) => l.exited));
    for (const r of resumed) assert.equal(r.code, 0, r.err);
    assert.match(resumed[0]!.err, /resuming from .*checkpoint-\d+ at step (\d+)/);
    const dr = maxDiff(straight, join(dir, 'cut0', 'model_final', 'model.safetensors'));
    console.log(`2 nodes interrupted, resumed with checkpoints on node 0 only, vs 1 x 32 after 60 steps: max weight difference ${dr}`);
    assert.ok(dr <= 1e-4, `resumed: max weight difference ${dr}`);

    // node 0's worker killed: node 1 stops within seconds, saying a peer is gone and where the checkpoints are
    const launchers = twoNodes(dir, 'kill', String(await freePort()), ['--epochs', '1000', '--save-steps', '5']);
    await until(() => existsSync(join(dir, 'kill0', 'checkpoint-10')));
    const killedAt = Date.now();
    process.kill(Number(execFileSync('pgrep', ['-P', String(launchers[0]!.child.pid)], { encoding: 'utf8' }).trim()), 'SIGKILL');
    const [dead, survivor] = await Promise.all(launchers.map((l) => l.exited));
    assert.ok(Date.now() - killedAt < 90_000, 'node 1 stopped within 90 s');
    assert.notEqual(dead!.code, 0);
    assert.notEqual(survivor!.code, 0);
    assert.match(survivor!.err, /worker rank 1 of 2: \S+ failed, so another worker stopped, is stuck or cannot be reached/);
    assert.match(survivor!.err, /the last checkpoint on node 0 \(rank 0 writes them\) stays valid: continue with --resume on every node/);

    const badRank = inbatch('train', '--model', join(dir, 'init'), '--train-set', join(dir, 'prep'), '--save-dir', join(dir, 'bad'), '--nnodes', '2', '--node-rank', '2');
    assert.equal(badRank.code, 2);
    assert.match(badRank.err, /--node-rank 2 must be below --nnodes 2/);
  } finally {
    cleanup();
  }
});

test('--time-budget with workers: every rank takes rank 0\'s refitted step count, and the run ends on time', { skip, timeout: 120_000 }, async () => {
  const { dir, cleanup } = tempDir();
  try {
    world(dir);
    const started = Date.now();
    const r = inbatch('train', '--model', join(dir, 'init'), '--train-set', join(dir, 'prep'), '--save-dir', join(dir, 'budget'), '--batch-size', '8',
      '--epochs', '1000', '--time-budget', '10', '--save-steps', '0', '--nproc-per-node', '2', '--master-port', String(await freePort()), '--dist-timeout', '20');
    assert.equal(r.code, 0, r.err);
    const steps = JSON.parse(r.out).steps as number;
    const refits = readFileSync(join(dir, 'budget', 'train_log.jsonl'), 'utf8').split('\n').filter((l) => l.includes('"time_budget"')).length;
    console.log(`time budget 10 s with 2 workers: ${steps} steps, ${refits} refit(s), ${((Date.now() - started) / 1000).toFixed(1)} s in all`);
    assert.ok(refits >= 1, `${refits} refits`);
  } finally {
    cleanup();
  }
});

test('a worker killed with SIGKILL stops the run with an error naming it; --resume continues', { skip, timeout: 180_000 }, async () => {
  const { dir, cleanup } = tempDir();
  try {
    world(dir);
    const args = (steps: number, port: number) => ['train', '--model', join(dir, 'init'), '--train-set', join(dir, 'prep'), '--save-dir', join(dir, 'run'), '--batch-size', '8',
      '--epochs', '1000', '--max-steps', String(steps), '--save-steps', '5', '--nproc-per-node', '2', '--master-port', String(port)];
    const launcher = inbatchChild(...args(100000, await freePort()));
    let err = '';
    launcher.stderr.on('data', (d) => { err += d; });
    const exited = new Promise<number | null>((resolve) => launcher.on('exit', resolve));
    while (!existsSync(join(dir, 'run', 'checkpoint-10'))) await new Promise((r) => setTimeout(r, 100));
    const workers = execFileSync('pgrep', ['-P', String(launcher.pid)], { encoding: 'utf8' }).trim().split('\n').map(Number);
    assert.equal(workers.length, 2);
    const killedAt = Date.now();
    process.kill(workers[1]!, 'SIGKILL');
    const code = await exited;
    assert.notEqual(code, 0);
    assert.ok(Date.now() - killedAt < 90_000, 'the run stopped within 90 s');
    assert.match(err, /worker rank 1 exited with SIGKILL; stopping the other workers/);
    const resumed = inbatch(...args(20, await freePort()), '--resume');
    assert.equal(resumed.code, 0, resumed.err);
    assert.match(resumed.err, /resuming from .*checkpoint-\d+ at step \d+/);
    assert.equal(JSON.parse(resumed.out).steps, 20);
  } finally {
    cleanup();
  }
});

test('workers that disagree are refused by name, and a resume with another number of workers is refused', { skip, timeout: 180_000 }, async () => {
  const { dir, cleanup } = tempDir();
  try {
    world(dir);
    const port = await freePort();
    // started by hand with torchrun's environment, rank 1 with another seed
    const runs = [0, 1].map((rank) => new Promise<{ code: number | null; err: string }>((resolve) => {
      const child = spawn(process.execPath, [cli, 'train', '--model', join(dir, 'init'), '--train-set', join(dir, 'prep'), '--save-dir', join(dir, 'disagree'), '--batch-size', '8',
        '--max-steps', '5', '--seed', String(rank ? 2 : 1)], { env: { ...process.env, RANK: String(rank), WORLD_SIZE: '2', MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(port) } });
      let err = '';
      child.stderr.on('data', (d) => { err += d; });
      child.on('exit', (code) => resolve({ code, err }));
    }));
    for (const r of await Promise.all(runs)) {
      assert.equal(r.code, 2, r.err);
      assert.match(r.err, /worker rank 1 has other data, another model or other options than rank 0/);
    }
    // a run of 2 workers cannot be resumed by one process
    assert.equal(inbatch('train', '--model', join(dir, 'init'), '--train-set', join(dir, 'prep'), '--save-dir', join(dir, 'w2'), '--batch-size', '8', '--max-steps', '5',
      '--save-steps', '5', '--nproc-per-node', '2', '--master-port', String(await freePort())).code, 0);
    const single = inbatch('train', '--model', join(dir, 'init'), '--train-set', join(dir, 'prep'), '--save-dir', join(dir, 'w2'), '--batch-size', '8', '--max-steps', '10', '--resume');
    assert.equal(single.code, 2);
    assert.match(single.err, /was trained by 2 worker\(s\), now 1: a resumed run must keep the number of workers/);
  } finally {
    cleanup();
  }
});

test('Ctrl-C to the launcher: every worker stops at the same step, rank 0 writes the checkpoint, exit 130', { skip, timeout: 120_000 }, async () => {
  const { dir, cleanup } = tempDir();
  try {
    world(dir);
    const launcher = inbatchChild('train', '--model', join(dir, 'init'), '--train-set', join(dir, 'prep'), '--save-dir', join(dir, 'run'), '--batch-size', '8',
      '--epochs', '1000', '--max-steps', '100000', '--save-steps', '0', '--logging-steps', '1', '--nproc-per-node', '2', '--master-port', String(await freePort()));
    let err = '';
    launcher.stderr.on('data', (d) => { err += d; });
    const exited = new Promise<number | null>((resolve) => launcher.on('exit', resolve));
    while (!/train \[.*\] (\d{2,})\//.test(err)) await new Promise((r) => setTimeout(r, 100));
    launcher.kill('SIGINT');
    assert.equal(await exited, 130, err);
    const m = /interrupted: checkpoint written to (.*checkpoint-(\d+))/.exec(err);
    assert.ok(m && existsSync(join(m[1]!, 'trainer_state.json')), err);
    assert.doesNotMatch(err, /failed/);
  } finally {
    cleanup();
  }
});

/** TCP sockets in LISTEN state on a port (every interface, IPv4 and IPv6), from /proc/net. */
function listening(port: number): string[] {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  return ['/proc/net/tcp', '/proc/net/tcp6'].flatMap((f) => (existsSync(f) ? readFileSync(f, 'utf8').trim().split('\n').slice(1) : []))
    .map((l) => l.trim().split(/\s+/)).filter((c) => c[1]!.endsWith(`:${hex}`) && c[3] === '0A').map((c) => c[1]!);
}

test('kill -9 of the launcher: no worker remains after 10 s and nothing more is written; on one machine nothing listens for the rendezvous', { skip, timeout: 180_000 }, async () => {
  const { dir, cleanup } = tempDir();
  try {
    world(dir);
    const port = await freePort();
    const launcher = inbatchChild('train', '--model', join(dir, 'init'), '--train-set', join(dir, 'prep'), '--save-dir', join(dir, 'run'), '--batch-size', '8',
      '--epochs', '1000', '--max-steps', '100000', '--save-steps', '5', '--nproc-per-node', '2', '--master-port', String(port));
    const exited = new Promise<number | null>((resolve) => launcher.on('exit', resolve));
    while (!existsSync(join(dir, 'run', 'checkpoint-10'))) await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(listening(port), [], `a socket listens on the master port ${port} of a one-machine run`);
    const workers = execFileSync('pgrep', ['-P', String(launcher.pid)], { encoding: 'utf8' }).trim().split('\n').map(Number);
    assert.equal(workers.length, 2);
    process.kill(launcher.pid!, 'SIGKILL');
    await exited;
    const alive = (pid: number) => { try { process.kill(pid, 0); return !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z '); } catch { return false; } };
    const deadline = Date.now() + 10_000;
    while (workers.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(workers.filter(alive), [], 'workers still running 10 s after their launcher was killed');
    const written = readdirSync(join(dir, 'run')).sort();
    await new Promise((r) => setTimeout(r, 2000));
    assert.deepEqual(readdirSync(join(dir, 'run')).sort(), written, 'something was written after the workers should have stopped');
  } finally {
    cleanup();
  }
});

test('a worker environment without RANK (or with a bad one) is refused at once, naming the variable', { skip }, () => {
  for (const [env, message] of [[{ WORLD_SIZE: '2' }, /RANK=\(unset\): a worker needs RANK as an integer in \[0, 1\]/], [{ WORLD_SIZE: '2', RANK: '5' }, /RANK=5/], [{ WORLD_SIZE: 'two' }, /WORLD_SIZE=two/]] as const) {
    const r = spawnSync(process.execPath, [cli, 'train', '--model', 'none', '--train-set', 'none', '--save-dir', 'none'], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 30_000 });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, message);
  }
});
