// inbatch embed and similarity on an exported model: texts from arguments, a file or stdin.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportModel } from '../../src/export/export-model.js';
import { cjkChars, microConfig, tempDir, tokenizerOf, writeRandomModel } from '../helpers.js';
import { cli, inbatch } from './cli-fixture.js';

test('embed: arguments give a JSON array; --input and stdin stream JSON Lines with the same vectors; similarity keeps order or sorts', () => {
  const { dir, cleanup } = tempDir();
  try {
    const chars = cjkChars(40);
    const tok = tokenizerOf(chars);
    writeRandomModel(join(dir, 'm'), microConfig(tok.vocabSize, { pooling: 'mean' }), tok);
    exportModel(join(dir, 'm'), join(dir, 'onnx'), { fp16: false });
    const texts = Array.from({ length: 7 }, (_, i) => chars.slice(i, i + 3 + i).join(''));
    const args = inbatch('embed', '--model', join(dir, 'onnx'), ...texts);
    assert.equal(args.code, 0, args.err);
    const array = JSON.parse(args.out) as { text: string; embedding: number[] }[];
    assert.deepEqual(array.map((r) => r.text), texts);

    writeFileSync(join(dir, 'texts.txt'), texts.join('\n') + '\n\n');
    const file = inbatch('embed', '--model', join(dir, 'onnx'), '--input', join(dir, 'texts.txt'), '--batch-size', '3');
    assert.equal(file.code, 0, file.err);
    const lines = file.out.trim().split('\n').map((l) => JSON.parse(l) as { text: string; embedding: number[] });
    assert.equal(lines.length, texts.length, 'blank lines are skipped');
    lines.forEach((r, i) => {
      assert.equal(r.text, texts[i]);
      r.embedding.forEach((x, k) => assert.ok(Math.abs(x - array[i]!.embedding[k]!) < 1e-5));
    });
    const piped = spawnSync(process.execPath, [cli, 'embed', '--model', join(dir, 'onnx')], { input: texts.join('\n'), encoding: 'utf8' });
    // --input - is standard input, as the help says
    const dash = spawnSync(process.execPath, [cli, 'embed', '--model', join(dir, 'onnx'), '--input', '-'], { input: texts.join('\n'), encoding: 'utf8' });
    assert.equal(dash.status, 0, dash.stderr);
    assert.equal(dash.stdout, piped.stdout);
    assert.equal(piped.status, 0, piped.stderr);
    assert.deepEqual(piped.stdout.trim().split('\n').map((l) => JSON.parse(l).text), texts);
    const both = inbatch('embed', '--model', join(dir, 'onnx'), '--input', join(dir, 'texts.txt'), 'extra');
    assert.equal(both.code, 2);

    const inOrder = JSON.parse(inbatch('similarity', '--model', join(dir, 'onnx'), '--query', texts[0]!, ...texts).out) as { text: string; similarity: number }[];
    assert.deepEqual(inOrder.map((r) => r.text), texts);
    const sorted = JSON.parse(inbatch('similarity', '--model', join(dir, 'onnx'), '--query', texts[0]!, '--sort', ...texts).out) as { text: string; similarity: number }[];
    assert.equal(sorted[0]!.text, texts[0]);
    for (let i = 1; i < sorted.length; i++) assert.ok(sorted[i - 1]!.similarity >= sorted[i]!.similarity);
  } finally {
    cleanup();
  }
});
