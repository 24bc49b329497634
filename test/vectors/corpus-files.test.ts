// The corpus store's files and compressed search, against hand-written readers and brute force.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NpyRows, NpyWriter, encodeRows } from '../../src/vectors/npy.js';
import { QuantizedIndex, type FloatRows } from '../../src/vectors/quantized.js';
import { exactTopK, measureRecall, pseudoQueries } from '../../src/vectors/recall-contract.js';
import { TextTable, TextTableWriter } from '../../src/data/text-table.js';
import { Random } from '../../src/util/random.js';
import { tempDir } from '../helpers.js';

/** A reader written from NumPy's format description, sharing nothing with src/vectors/npy.ts. */
function readNpyByHand(path: string): { descr: string; shape: number[]; values: number[] } {
  const b = readFileSync(path);
  assert.deepEqual([...b.subarray(0, 6)], [0x93, ...Buffer.from('NUMPY')]);
  assert.equal(b[6], 1);
  const headerLen = b[8]! + 256 * b[9]!;
  const dataStart = 10 + headerLen;
  assert.equal(dataStart % 64, 0, 'data aligned to 64 bytes');
  const header = b.toString('latin1', 10, dataStart);
  assert.ok(header.endsWith('\n'));
  const descr = /'descr': '([^']+)'/.exec(header)![1]!;
  assert.match(header, /'fortran_order': False/);
  const shape = /'shape': \((\d+), (\d+)\)/.exec(header)!.slice(1).map(Number);
  const values: number[] = [];
  for (let i = dataStart; i < b.length; i += descr === '<f4' ? 4 : 2) {
    if (descr === '<f4') values.push(b.readFloatLE(i));
    else {
      const h = b.readUInt16LE(i), e = (h >> 10) & 31, m = h & 1023, s = h & 0x8000 ? -1 : 1;
      values.push(e === 0 ? s * m * 2 ** -24 : s * (1 + m / 1024) * 2 ** (e - 15));
    }
  }
  return { descr, shape, values };
}

function unitRows(n: number, dim: number, seed: number, lean = 0): Float32Array {
  const rng = new Random(seed);
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    let norm = 0;
    for (let j = 0; j < dim; j++) { const v = rng.next() - 0.5 + lean; out[i * dim + j] = v; norm += v * v; }
    for (let j = 0; j < dim; j++) out[i * dim + j]! /= Math.sqrt(norm);
  }
  return out;
}

function memoryRows(data: Float32Array, cols: number): FloatRows {
  return { rows: data.length / cols, cols, read: (start, count) => data.slice(start * cols, (start + count) * cols) };
}

test('.npy files (float32 and float16) read back by a hand-written reader, with numpy\'s header', () => {
  const { dir, cleanup } = tempDir();
  try {
    const data = Float32Array.from([0.5, -1.25, 3e-5, 1, 0, -0.1]);
    for (const dtype of ['float32', 'float16'] as const) {
      const path = join(dir, `${dtype}.npy`);
      const w = new NpyWriter(path, dtype, 3);
      w.appendBytes(encodeRows(dtype, data.subarray(0, 3)));
      w.appendBytes(encodeRows(dtype, data.subarray(3)));
      w.close();
      const byHand = readNpyByHand(path);
      assert.equal(byHand.descr, dtype === 'float32' ? '<f4' : '<f2');
      assert.deepEqual(byHand.shape, [2, 3]);
      byHand.values.forEach((v, i) => assert.ok(Math.abs(v - data[i]!) <= (dtype === 'float32' ? 0 : Math.abs(data[i]!) * 1e-3 + 1e-7), `${dtype} value ${i}: ${v} vs ${data[i]}`));
      const rows = new NpyRows(path);
      assert.deepEqual([rows.rows, rows.cols], [2, 3]);
      assert.deepEqual(Array.from(rows.read(1, 1)), byHand.values.slice(3).map((v) => Math.fround(v)));
      rows.close();
    }
    const cut = join(dir, 'cut.npy');
    writeFileSync(cut, readFileSync(join(dir, 'float32.npy')).subarray(0, 140));
    assert.throws(() => new NpyRows(cut), /cut\.npy: a 2x3 float32 array needs 152 bytes, the file has 140/);
  } finally {
    cleanup();
  }
});

test('the text table returns every text exactly, long and multi-byte ones included', () => {
  const { dir, cleanup } = tempDir();
  try {
    const texts = ['短', 'a', '🙂 emoji and 中文 mixed', 'x'.repeat(300_000), 'é'.repeat(70_000), ...Array.from({ length: 9000 }, (_, i) => `第${i}条 ${'字'.repeat(i % 50)}`)];
    const w = new TextTableWriter(join(dir, 'texts'));
    for (const t of texts) w.append(t);
    w.close();
    const table = new TextTable(join(dir, 'texts'));
    assert.equal(table.size, texts.length);
    for (const id of [0, 1, 2, 3, 4, 5, 4100, 9004]) assert.equal(table.textOf(id), texts[id]);
    assert.deepEqual([...table], texts);
    assert.throws(() => table.textOf(texts.length), /no text 9005 in a table of 9005/);
    table.close();
    const bin = readFileSync(join(dir, 'texts.bin'));
    writeFileSync(join(dir, 'texts.bin'), bin.subarray(0, bin.length - 1));
    assert.throws(() => new TextTable(join(dir, 'texts')), /texts\.bin: \d+ bytes, but .*texts\.idx ends at \d+/);
  } finally {
    cleanup();
  }
});

test('int8 and binary rescoring: the contract figure is what a brute-force check measures', () => {
  const dim = 48, n = 3000;
  const data = unitRows(n, dim, 7, 0.15); // vectors that lean one way, as real embeddings do
  const floats = memoryRows(data, dim);
  const queries = pseudoQueries(floats, 60, 3);
  const truth = exactTopK(floats, queries, 10);
  // an independent brute force: sorted full score lists
  const byHand = queries.vectors.map((q, qi) => Array.from({ length: n }, (_, i) => i).filter((i) => i !== queries.exclude[qi])
    .map((i) => ({ i, s: data.subarray(i * dim, (i + 1) * dim).reduce((a, x, j) => a + x * q[j]!, 0) }))
    .sort((a, b) => b.s - a.s || a.i - b.i).slice(0, 10).map((x) => x.i));
  truth.forEach((t, qi) => assert.deepEqual(t.filter((h) => h.id !== queries.exclude[qi]).slice(0, 10).map((h) => h.id), byHand[qi]));
  for (const kind of ['int8', 'binary'] as const) {
    const index = QuantizedIndex.build(kind, floats);
    assert.equal(index.bytesPerText, kind === 'int8' ? dim : dim / 8);
    let last = -1;
    for (const oversample of [1, 4, 32]) {
      index.oversample = oversample;
      const found = index.search(queries.vectors, 11);
      const contract = measureRecall(truth, found, queries, 10);
      const checked = found.map((f, qi) => f.map((h) => h.id).filter((id) => id !== queries.exclude[qi]).slice(0, 10).filter((id) => byHand[qi]!.includes(id)).length / 10);
      assert.ok(Math.abs(contract.recall - checked.reduce((a, b) => a + b, 0) / checked.length) < 1e-12, `${kind} x${oversample}`);
      // rescored scores are the exact inner products
      for (const h of found[0]!) assert.equal(h.score, Math.fround(data.subarray(h.id * dim, (h.id + 1) * dim).reduce((a, x, j) => a + x * queries.vectors[0]![j]!, 0)));
      assert.ok(contract.recall >= last, `${kind}: more oversampling never loses recall (${contract.recall} < ${last})`);
      last = contract.recall;
    }
    assert.ok(last >= (kind === 'int8' ? 0.99 : 0.9), `${kind} with oversample 32 keeps ${last} of the exact top 10`);
  }
});

test('centering the sign bits: binary codes of vectors that lean one way still rank', () => {
  const dim = 64, n = 2000;
  const data = unitRows(n, dim, 11, 0.6); // every coordinate mostly positive: raw sign bits would be nearly all 1
  const floats = memoryRows(data, dim);
  const queries = pseudoQueries(floats, 50, 5);
  const index = QuantizedIndex.build('binary', floats);
  index.oversample = 8;
  const recall = measureRecall(exactTopK(floats, queries, 10), index.search(queries.vectors, 11), queries, 10).recall;
  assert.ok(recall > 0.6, `binary recall ${recall}`);
});
