// The hardening round's findings, one case each (table-driven where they share a shape): each
// fails with a message naming the file, line or field, and leaves nothing half-written.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readIdTexts } from '../../src/data/beir-files.js';
import { PreparedData } from '../../src/data/prepared/reader.js';
import { readModelConfig } from '../../src/model/config-file.js';
import { readSafetensors, writeSafetensors } from '../../src/weights/safetensors.js';
import { cjkChars, microConfig, needsTorch, tempDir, tokenizerOf, writeRandomModel } from '../helpers.js';
import { inbatch, writeCliWorld, type CliWorld } from './cli-fixture.js';

const work = tempDir();
let w: CliWorld;
before(() => {
  w = writeCliWorld(work.dir, 30);
  if (needsTorch) return;
  assert.equal(inbatch('init', '--config', 'tiny', '--vocab', w.vocab, '--max-seq-length', '16', '--save-dir', w.file('m')).code, 0);
});
after(() => work.cleanup());

function fails(args: string[], code: number, message: RegExp): void {
  const r = inbatch(...args);
  assert.equal(r.code, code, `${args.join(' ')}\n${r.err}`);
  assert.match(r.err, message, args.join(' '));
  assert.doesNotMatch(r.err, /\n\s+at /, 'no stack trace');
}

test('inputs: pipes and devices are refused, a huge line is named, an existing file with [ in its name is read literally', { skip: needsTorch }, () => {
  execFileSync('mkfifo', [w.file('fifo.tsv')]);
  fails(['prepare', '--train-set', w.file('fifo.tsv'), '--model', w.file('m'), '--output', w.file('p1')], 1, /fifo\.tsv: not a regular file/);
  fails(['prepare', '--train-set', '/dev/zero', '--model', w.file('m'), '--output', w.file('p2')], 1, /\/dev\/zero: not a regular file/);
  writeFileSync(w.file('long.tsv'), 'a\tb\n' + 'x'.repeat(17 << 20) + '\tb\n');
  const started = Date.now();
  fails(['prepare', '--train-set', w.file('long.tsv'), '--model', w.file('m'), '--output', w.file('p3')], 1, /long\.tsv:2: line longer than 16777216 bytes/);
  assert.ok(Date.now() - started < 30_000, 'a long line is refused without assembling it quadratically');
  cpSync(w.file('train.tsv'), w.file('data[1].tsv'));
  writeFileSync(w.file('data1.tsv'), 'only\tthis\nand\tthat\n');
  const r = inbatch('prepare', '--train-set', w.file('data[1].tsv'), '--model', w.file('m'), '--output', w.file('p4'));
  assert.equal(r.code, 0, r.err);
  const m = JSON.parse(readFileSync(w.file('p4/manifest.json'), 'utf8'));
  assert.deepEqual(m.sources.map((s: { path: string }) => s.path), [w.file('data[1].tsv')]);
  // a glob still works where no file has that name
  const g = inbatch('prepare', '--train-set', w.file('data?.tsv'), '--model', w.file('m'), '--output', w.file('p5'));
  assert.equal(g.code, 0, g.err);
  assert.deepEqual(JSON.parse(readFileSync(w.file('p5/manifest.json'), 'utf8')).sources.map((s: { path: string }) => s.path), [w.file('data1.tsv')]);
});

test('prepared folders are trusted no further than their sizes: shard names, empty data, manifests of the wrong shape, ids and offsets', { skip: needsTorch }, () => {
  assert.equal(inbatch('prepare', '--train-set', w.file('train.tsv'), '--model', w.file('m'), '--output', w.file('prep')).code, 0);
  const variant = (name: string, edit: (m: Record<string, unknown>, dir: string) => void) => {
    const dir = w.file(name);
    cpSync(w.file('prep'), dir, { recursive: true });
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    edit(m, dir);
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(m));
    return dir;
  };
  const cases: [string, (m: Record<string, unknown>, dir: string) => void, RegExp][] = [
    ['outside', (m) => { (m.shards as { name: string }[])[0]!.name = '../elsewhere/shard-00000'; }, /a shard named "\.\.\/elsewhere\/shard-00000": shard names are plain file names/],
    ['empty', (m) => { m.rows = 0; }, /"rows" must be a positive integer \(got 0\)/],
    ['null-shards', (m) => { m.shards = null; }, /"shards" must be a non-empty list, got null/],
  ];
  for (const [name, edit, message] of cases) {
    assert.throws(() => PreparedData.open(variant(name, edit)), message, name);
    fails(['train', '--model', w.file('m'), '--train-set', w.file(name), '--save-dir', w.file(`run-${name}`), '--max-steps', '1'], 1, message);
    assert.ok(!existsSync(w.file(`run-${name}/model_final`)), `${name}: no model written`);
  }
  // an id outside the vocabulary, and a row whose tokens lie beyond the shard
  const oov = variant('oov', () => undefined);
  const tokens = readFileSync(join(oov, 'shard-00000.tokens'));
  tokens.writeUInt16LE(60000, 2);
  writeFileSync(join(oov, 'shard-00000.tokens'), tokens);
  fails(['train', '--model', w.file('m'), '--train-set', oov, '--save-dir', w.file('run-oov'), '--max-steps', '3', '--batch-size', '64'], 1, /shard-00000 row \d+: token id 60000 is outside the model's vocabulary/);
  const lying = variant('lying', () => undefined);
  const rows = readFileSync(join(lying, 'shard-00000.rows'));
  const recordSize = rows.length / JSON.parse(readFileSync(join(lying, 'manifest.json'), 'utf8')).rows;
  rows.writeDoubleLE(1e9, recordSize - 8);
  writeFileSync(join(lying, 'shard-00000.rows'), rows);
  fails(['train', '--model', w.file('m'), '--train-set', lying, '--save-dir', w.file('run-lying'), '--max-steps', '3', '--batch-size', '64'], 1, /shard-00000 row 0: tokens at 1000000000\.\.\d+ beyond the shard's \d+/);
});

test('a prepared folder of another max_seq_length is trained at its length, with a note', { skip: needsTorch }, () => {
  assert.equal(inbatch('init', '--config', 'tiny', '--vocab', w.vocab, '--max-seq-length', '32', '--save-dir', w.file('m32')).code, 0);
  const r = inbatch('train', '--model', w.file('m32'), '--train-set', w.file('prep'), '--save-dir', w.file('run-32'), '--max-steps', '1', '--batch-size', '8');
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /note: the training data was prepared with max_seq_length 16; the model \(32\) trains and saves with 16/);
  assert.equal(readModelConfig(w.file('run-32/model_final')).inbatch.max_seq_length, 16);
});

test('model folders: a projection of the wrong shape (same bytes), absurd sizes, null JSON, and outputs under /proc', () => {
  const tok = tokenizerOf(cjkChars(20));
  const dir = w.file('models');
  mkdirSync(dir);
  const good = join(dir, 'good');
  writeRandomModel(good, microConfig(tok.vocabSize), tok);
  const variant = (name: string, edit: (d: string) => void) => { const d = join(dir, name); cpSync(good, d, { recursive: true }); edit(d); return d; };
  const config = (d: string, change: (c: Record<string, unknown>) => void) => { const c = JSON.parse(readFileSync(join(d, 'config.json'), 'utf8')); change(c); writeFileSync(join(d, 'config.json'), JSON.stringify(c)); };
  const cases: [string, (d: string) => void, RegExp][] = [
    ['projection', (d) => {
      const t = readSafetensors(join(d, 'model.safetensors')).tensors;
      const p = t.get('emb_reduce_linear.weight')!;
      t.set('emb_reduce_linear.weight', { shape: [p.shape[1]!, p.shape[0]!], data: p.data }); // [32, 16] for [16, 32]: the same bytes
      writeSafetensors(join(d, 'model.safetensors'), t);
    }, /emb_reduce_linear\.weight has shape \[32,16\] but the config needs \[16,32\]/],
    ['hidden', (d) => config(d, (c) => { c.hidden_size = 1e9; }), /hidden_size must be at most 65536, got 1000000000/],
    ['layers', (d) => config(d, (c) => { c.num_hidden_layers = 1e9; }), /num_hidden_layers must be at most 1024/],
    ['null-config', (d) => writeFileSync(join(d, 'config.json'), 'null'), /config\.json: expected a JSON object, found null/],
    ['null-tokenizer', (d) => { writeFileSync(join(d, 'tokenizer.json'), 'null'); }, /tokenizer\.json: expected a JSON object, found null/],
  ];
  for (const [name, edit, message] of cases) fails(['export', '--model', variant(name, edit), '--output', join(dir, `out-${name}`)], 1, message);
  fails(['export', '--model', good, '--output', '/proc/inbatch-export'], 1, /\/proc\/inbatch-export: cannot write a folder here/);
  fails(['compare', variant('null-result', (d) => writeFileSync(join(d, 'r.json'), 'null')) + '/r.json'], 1, /r\.json: expected a JSON object, found null/);
  if (!needsTorch) fails(['init', '--config', 'tiny', '--vocab', w.vocab, '--save-dir', '/proc/inbatch-init'], 1, /\/proc\/inbatch-init: cannot write a folder here/);
  assert.deepEqual(readdirSync(dir).filter((n) => n.startsWith('.tmp') || n.startsWith('.old')), []);
});

test('a JSONL corpus whose _id is an object is refused by line', () => {
  writeFileSync(w.file('c.jsonl'), '{"_id": "d1", "text": "a"}\n{"_id": {"x": 1}, "text": "b"}\n');
  assert.throws(() => readIdTexts(w.file('c.jsonl')), /c\.jsonl:2: "_id" must be a string or a number, not object/);
});
