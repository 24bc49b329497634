// SIGKILL at any moment of `export` or `recall` never leaves an output that is half-written:
// after the kill (and the cleanup the next write does), each output is the old one or the new one, whole.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Embedder } from '../../src/infer/embedder.js';
import { CorpusIndex } from '../../src/retrieval/corpus-index.js';
import { removeStaleTemporaries } from '../../src/util/atomic.js';
import { microConfig, needsTorch, tempDir, tokenizerOf, writeRandomModel } from '../helpers.js';
import { SYNTHETIC_CHARS } from '../train/synthetic.js';
import { inbatch, inbatchChild, writeCliWorld } from './cli-fixture.js';

const DELAYS_MS = [150, 250, 350, 450, 550, 700];

async function killAfter(args: string[], ms: number): Promise<void> {
  const child = inbatchChild(...args);
  const exited = new Promise((resolve) => child.on('exit', resolve));
  await new Promise((r) => setTimeout(r, ms));
  child.kill('SIGKILL');
  await exited;
}

test('export killed at any moment: the output folder is the old export or the new one', { timeout: 120_000 }, async () => {
  const { dir, cleanup } = tempDir();
  try {
    const tok = tokenizerOf(SYNTHETIC_CHARS.slice(0, 60));
    const config = { ...microConfig(tok.vocabSize), hidden_size: 128, intermediate_size: 512, num_hidden_layers: 4 };
    writeRandomModel(join(dir, 'old'), config, tok, 1);
    writeRandomModel(join(dir, 'new'), config, tok, 2);
    const out = join(dir, 'onnx');
    const texts = [SYNTHETIC_CHARS.slice(0, 5).join(''), SYNTHETIC_CHARS.slice(5, 9).join('')];
    const embedWith = async () => { const e = await Embedder.load(out); const v = await e.embed(texts); await e.release(); return v.map((x) => Array.from(x)); };
    assert.equal(inbatch('export', '--model', join(dir, 'new'), '--output', out).code, 0);
    const newVectors = await embedWith();
    assert.equal(inbatch('export', '--model', join(dir, 'old'), '--output', out).code, 0);
    const oldVectors = await embedWith();
    for (const ms of DELAYS_MS) {
      await killAfter(['export', '--model', join(dir, ms % 2 ? 'old' : 'new'), '--output', out, '--fp16'], ms);
      removeStaleTemporaries(dir); // what the next write does first
      const v = await embedWith();
      const which = JSON.stringify(v) === JSON.stringify(oldVectors) ? 'old' : JSON.stringify(v) === JSON.stringify(newVectors) ? 'new' : 'mixed';
      assert.notEqual(which, 'mixed', `killed after ${ms} ms: the export is neither the old nor the new one`);
    }
  } finally {
    cleanup();
  }
});

test('recall killed at any moment: the index folder loads whole and the result file is complete', { skip: needsTorch, timeout: 120_000 }, async () => {
  const { dir, cleanup } = tempDir();
  try {
    const w = writeCliWorld(dir, 60);
    assert.equal(inbatch('init', '--config', 'tiny', '--vocab', w.vocab, '--max-seq-length', '16', '--save-dir', w.file('m')).code, 0);
    const args = ['recall', '--model', w.file('m'), '--corpus-file', w.file('corpus.txt'), '--similar-text-pair-file', w.file('dev.tsv'), '--recall-result-dir', w.file('recall'), '--recall-num', '5'];
    assert.equal(inbatch(...args).code, 0);
    const expected = readFileSync(w.file('recall/recall_result.txt'), 'utf8');
    for (const ms of DELAYS_MS) {
      await killAfter(args, ms);
      removeStaleTemporaries(w.file('recall'));
      const index = CorpusIndex.load(w.file('recall/index'));
      assert.equal(index.size, w.heldOut.length);
      assert.equal(readFileSync(w.file('recall/recall_result.txt'), 'utf8'), expected, `killed after ${ms} ms`);
    }
  } finally {
    cleanup();
  }
});
