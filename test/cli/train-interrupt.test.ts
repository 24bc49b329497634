// Ctrl-C during `inbatch train`: a checkpoint at the current step within seconds, and --resume continues from it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { needsTorch, tempDir } from '../helpers.js';
import { inbatch, inbatchChild, writeCliWorld } from './cli-fixture.js';

test('SIGINT writes checkpoint-<current step> and exits within seconds; --resume continues', { skip: needsTorch, timeout: 120_000 }, async () => {
  const { dir, cleanup } = tempDir();
  try {
    const w = writeCliWorld(dir, 60);
    assert.equal(inbatch('init', '--config', 'tiny', '--vocab', w.vocab, '--max-seq-length', '16', '--save-dir', w.file('init')).code, 0);
    const args = ['--model', w.file('init'), '--train-set', w.file('train.tsv'), '--save-dir', w.file('run'), '--batch-size', '8', '--epochs', '1000',
      '--max-steps', '100000', '--save-steps', '0', '--logging-steps', '1'];
    const child = inbatchChild('train', ...args);
    let err = '';
    child.stderr.on('data', (d) => { err += d; });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    // wait until a few steps have run, then interrupt mid-run
    while (!/train \[.*\] (\d{2,})\//.test(err)) await new Promise((r) => setTimeout(r, 100));
    const sentAt = Date.now();
    child.kill('SIGINT');
    const code = await exited;
    const seconds = (Date.now() - sentAt) / 1000;
    assert.equal(code, 130, err);
    assert.ok(seconds < 5, `exited ${seconds.toFixed(1)} s after SIGINT`);
    const m = /interrupted: checkpoint written to (.*checkpoint-(\d+))/.exec(err);
    assert.ok(m, err);
    const step = Number(m[2]);
    assert.ok(step >= 10, `interrupted at step ${step}`);
    const state = JSON.parse(readFileSync(`${m[1]}/trainer_state.json`, 'utf8'));
    assert.equal(state.globalStep, step);

    const resumed = inbatch('train', ...args.map((a) => (a === '100000' ? String(step + 5) : a)), '--resume');
    assert.equal(resumed.code, 0, resumed.err);
    assert.match(resumed.err, new RegExp(`resuming from .*checkpoint-${step} at step ${step}`));
    assert.equal(JSON.parse(resumed.out).steps, step + 5);
    // the log holds each step once: the steps after the checkpoint are not repeated
    const steps = readFileSync(w.file('run/train_log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((r) => typeof r.loss === 'number').map((r) => r.step);
    assert.deepEqual(steps, [...new Set(steps)].sort((a, b) => a - b));
  } finally {
    cleanup();
  }
});
