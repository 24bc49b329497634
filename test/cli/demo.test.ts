// The README's main job, shrunk: the demo runs end to end and prints its tables and examples.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { needsTorch, repoRoot, tempDir } from '../helpers.js';

test('inbatch demo: poetry couplets, Recall@N before and after, three examples', { skip: needsTorch }, () => {
  const { dir, cleanup } = tempDir();
  try {
    const r = spawnSync(process.execPath, [join(repoRoot, 'dist', 'src', 'cli', 'main.js'), 'demo', '--minutes', '0.1', '--poems', '3000', '--dev-poems', '100', '--config', 'tiny', '--work-dir', dir], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /training couplets from \d+ poems; dev \d+ queries over a corpus of \d+ lines from 100 held-out poems/);
    assert.match(r.stdout, /untrained +\d+\.\d\d +\d+\.\d\d/);
    assert.match(r.stdout, /trained +\d+\.\d\d +\d+\.\d\d/);
    assert.equal((r.stdout.match(/^query: /gm) ?? []).length, 3);
    const result = JSON.parse(readFileSync(join(dir, 'recall.json'), 'utf8'));
    assert.ok(result.steps > 0);
    for (const f of ['train.tsv', 'dev.tsv', 'corpus.txt', join('model', 'loss.svg'), join('model', 'model_final', 'model.safetensors')]) assert.ok(existsSync(join(dir, f)), f);
    // held-out poems never leak into training
    const train = new Set(readFileSync(join(dir, 'train.tsv'), 'utf8').split('\n').flatMap((l) => l.split('\t')));
    const corpus = readFileSync(join(dir, 'corpus.txt'), 'utf8').trim().split('\n');
    assert.equal(corpus.filter((line) => train.has(line)).length, 0);
  } finally {
    cleanup();
  }
});
