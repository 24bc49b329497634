// Bad inputs per command: each exits 2 (usage) or 1 (data) with one line naming the file/line or
// flag/field, no stack trace, and leaves earlier outputs intact.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readSafetensors, writeSafetensors } from '../../src/weights/safetensors.js';
import { cjkChars, microConfig, tempDir, tokenizerOf, writeRandomModel } from '../helpers.js';
import { inbatch } from './cli-fixture.js';

const tok = tokenizerOf(cjkChars(40));

/** A safetensors file with a hand-written header (for lying headers). */
function rawSafetensors(path: string, header: object, dataBytes: number): void {
  const json = Buffer.from(JSON.stringify(header));
  const buf = Buffer.alloc(8 + json.length + dataBytes);
  buf.writeBigUInt64LE(BigInt(json.length));
  json.copy(buf, 8);
  writeFileSync(path, buf);
}

function expectFailure(args: string[], code: number, message: RegExp): void {
  const r = inbatch(...args);
  assert.equal(r.code, code, `${args.join(' ')}\n${r.err}`);
  assert.match(r.err, message, args.join(' '));
  assert.doesNotMatch(r.err, /\n\s+at /, 'no stack trace');
}

test('model folders: lying safetensors headers, non-finite weights and bad config fields are refused by name', () => {
  const { dir, cleanup } = tempDir();
  try {
    const good = join(dir, 'good');
    writeRandomModel(good, microConfig(tok.vocabSize, { pooling: 'mean' }), tok);
    const variant = (name: string, edit: (d: string) => void) => { const d = join(dir, name); cpSync(good, d, { recursive: true }); edit(d); return d; };
    const f32 = (shape: number[], offsets: unknown) => ({ dtype: 'F32', shape, data_offsets: offsets });
    const cases: [string, (d: string) => void, RegExp][] = [
      ['negative', (d) => rawSafetensors(join(d, 'model.safetensors'), { w: f32([2], [-8, 0]) }, 8), /tensor w: data_offsets \[-8,0\] are not two non-negative integers/],
      ['fractional', (d) => rawSafetensors(join(d, 'model.safetensors'), { w: f32([2], [0, 7.5]) }, 8), /tensor w: data_offsets \[0,7\.5\]/],
      ['string', (d) => rawSafetensors(join(d, 'model.safetensors'), { w: f32([2], ['0', '8']) }, 8), /tensor w: data_offsets \["0","8"\]/],
      ['overlap', (d) => rawSafetensors(join(d, 'model.safetensors'), { a: f32([2], [0, 8]), b: f32([2], [4, 12]) }, 12), /tensors a and b overlap/],
      ['shape', (d) => rawSafetensors(join(d, 'model.safetensors'), { w: f32([3], [0, 8]) }, 8), /tensor w: has 8 bytes, but shape \[3\] of F32 needs 12/],
      ['header', (d) => { const b = Buffer.alloc(16); b.writeBigUInt64LE(1n << 40n); writeFileSync(join(d, 'model.safetensors'), b); }, /header length \d+ exceeds the file size/],
      ['nan', (d) => {
        const t = readSafetensors(join(d, 'model.safetensors')).tensors;
        t.get('encoder.layer.0.output.dense.bias')!.data[3] = NaN;
        writeSafetensors(join(d, 'model.safetensors'), t);
      }, /tensor encoder\.layer\.0\.output\.dense\.bias holds NaN at index 3/],
      ['emb', (d) => editConfig(d, (c) => { c.inbatch.output_emb_size = -4; }), /inbatch\.output_emb_size must be an integer >= 0 .*got -4/],
      ['inbatch', (d) => editConfig(d, (c) => { c.inbatch = 'abc'; }), /"inbatch" must be an object/],
      ['dropout', (d) => editConfig(d, (c) => { c.hidden_dropout_prob = 1.5; }), /hidden_dropout_prob must be in \[0, 1\), got 1\.5/],
      ['heads', (d) => editConfig(d, (c) => { c.num_attention_heads = 0; }), /num_attention_heads must be a positive integer, got 0/],
      ['vocab', (d) => { writeFileSync(join(d, 'vocab.txt'), readFileSync(join(d, 'vocab.txt'), 'utf8') + '[PAD]\n'); rmSync(join(d, 'tokenizer.json')); }, /vocab\.txt:\d+: token "\[PAD\]" again \(first on line 1\)/],
      ['tokjson', (d) => editJson(join(d, 'tokenizer.json'), (t) => { t.model.vocab['一'] = 1; }), /tokenizer\.json: model\.vocab gives id 1 to/],
    ];
    for (const [name, edit, message] of cases) expectFailure(['export', '--model', variant(name, edit), '--output', join(dir, `out-${name}`)], 1, message);
    assert.deepEqual(readdirSync(dir).filter((n) => n.startsWith('out-')), [], 'nothing written for a refused model');
  } finally {
    cleanup();
  }
});

function editJson(path: string, edit: (json: any) => void): void { // eslint-disable-line @typescript-eslint/no-explicit-any
  const json = JSON.parse(readFileSync(path, 'utf8'));
  edit(json);
  writeFileSync(path, JSON.stringify(json));
}
const editConfig = (dir: string, edit: (json: any) => void) => editJson(join(dir, 'config.json'), edit); // eslint-disable-line @typescript-eslint/no-explicit-any

test('data files: invalid UTF-8, a BOM, duplicate TREC lines and empty runs', () => {
  const { dir, cleanup } = tempDir();
  try {
    const file = (name: string, content: string | Buffer) => { writeFileSync(join(dir, name), content); return join(dir, name); };
    file('qrels.tsv', 'q1\td1\t1\n');
    expectFailure(['evaluate-run', '--run', file('dup.trec', 'q1 Q0 d1 1 2.0 x\nq1 Q0 d2 2 1.0 x\nq1 Q0 d1 3 0.5 x\n'), '--qrels', join(dir, 'qrels.tsv')], 1,
      /dup\.trec:3: query q1 lists document d1 again \(first on line 1\)/);
    expectFailure(['evaluate-run', '--run', file('empty.trec', '\n'), '--qrels', join(dir, 'qrels.tsv')], 1, /empty\.trec: empty run/);
    const binary = Buffer.concat([Buffer.from('好\t的\n对\t错\n'), Buffer.from([0xff, 0xfe, 0x09, 0x41, 0x0a])]);
    expectFailure(['evaluate', '--similar-text-pair-file', file('bin.tsv', binary), '--recall-result-file', file('r.txt', 'a\tb\t1\n')], 1, /bin\.tsv:3: invalid UTF-8/);
    // a byte-order mark is not part of the first line
    const ok = inbatch('evaluate', '--similar-text-pair-file', file('bom.tsv', '\uFEFFq\tg\n'), '--recall-result-file', file('bom-r.txt', '\uFEFFq\tg\t0.9\n'), '--recall-num', '1');
    assert.equal(ok.code, 0, ok.err);
    assert.match(ok.out, /recall@1\n100\.000/);
  } finally {
    cleanup();
  }
});

test('output folders: a foreign non-empty folder is never replaced without --overwrite', () => {
  const { dir, cleanup } = tempDir();
  try {
    const model = join(dir, 'm');
    writeRandomModel(model, microConfig(tok.vocabSize), tok);
    const precious = join(dir, 'runs');
    mkdirSync(precious);
    writeFileSync(join(precious, 'train_log.jsonl'), '{"step": 1}\n');
    expectFailure(['export', '--model', model, '--output', precious], 2, /--output .*runs is not empty and is not an inbatch ONNX export; .*--overwrite/);
    expectFailure(['init', '--config', 'tiny', '--vocab', join(model, 'vocab.txt'), '--save-dir', precious], 2, /--save-dir .*runs is not empty and is not an inbatch model folder/);
    assert.equal(readFileSync(join(precious, 'train_log.jsonl'), 'utf8'), '{"step": 1}\n');
    expectFailure(['export', '--model', model, '--output', '.'], 2, /the current or root folder cannot be replaced/);
    expectFailure(['export', '--model', model, '--output', dir], 2, /would replace the input/);
    // an earlier export is replaced as before, and --overwrite replaces anything
    assert.equal(inbatch('export', '--model', model, '--output', join(dir, 'onnx')).code, 0);
    assert.equal(inbatch('export', '--model', model, '--output', join(dir, 'onnx')).code, 0);
    assert.equal(inbatch('export', '--model', model, '--output', precious, '--overwrite').code, 0);
    assert.ok(existsSync(join(precious, 'onnx', 'model.onnx')) && !existsSync(join(precious, 'train_log.jsonl')));
  } finally {
    cleanup();
  }
});
