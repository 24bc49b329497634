// Prepared shards: the same rows, batches and weights as training from the TSV; .gz, folders and
// globs; file:line errors; nothing that looks complete after a kill; the tokenizer check; exact resume.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { readSafetensors } from '../../src/weights/safetensors.js';
import { prepareShards } from '../../src/data/prepared/prepare.js';
import { PreparedData } from '../../src/data/prepared/reader.js';
import { readPairs } from '../../src/data/pairs.js';
import { DualEncoder } from '../../src/model/dual-encoder.js';
import { modelWeights } from '../../src/model/folder.js';
import { planEpoch } from '../../src/train/sampler.js';
import { InMemoryTrainingData } from '../../src/train/training-data.js';
import { Trainer } from '../../src/train/trainer.js';
import { microConfig, needsTorch, tempDir, tokenizerOf } from '../helpers.js';
import { inbatch, inbatchChild, writeCliWorld } from '../cli/cli-fixture.js';
import { SYNTHETIC_CHARS, syntheticPairs } from '../train/synthetic.js';

const tok = tokenizerOf(SYNTHETIC_CHARS);
const tsv = (pairs: { query: string; positive: string; hardNegative?: string }[]) => pairs.map((p) => [p.query, p.positive, p.hardNegative].filter((x) => x !== undefined).join('\t') + '\n').join('');

test('prepared shards hold the same rows as the TSV: fingerprint, tokens, batches (uint16 ids, 2 workers, many shards)', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const { train } = syntheticPairs(40, 10, 8);
    train.forEach((p, i) => { if (i % 3 === 0) p.hardNegative = train[(i + 7) % train.length]!.positive; });
    writeFileSync(join(dir, 'train.tsv'), tsv(train));
    const manifest = await prepareShards([join(dir, 'train.tsv')], tok, join(dir, 'prep'), { maxSeqLength: 16, workers: 2, shardRows: 1000, quiet: true });
    assert.equal(manifest.rows, 400);
    assert.equal(manifest.shards.length, 1);
    assert.equal(manifest.token_type, 'uint16');
    const prepared = PreparedData.open(join(dir, 'prep'));
    const memory = InMemoryTrainingData.fromPairs(readPairs(join(dir, 'train.tsv')).pairs, tok, 16);
    assert.equal(prepared.fingerprint, memory.fingerprint);
    assert.equal(prepared.columns, 3);
    const some = Uint32Array.from([0, 1, 2, 3, 399, 200]);
    assert.deepEqual(prepared.tokensOf(some).map((r) => r.map((t) => Array.from(t))), memory.tokensOf(some).map((r) => r.map((t) => Array.from(t))));
    assert.deepEqual(prepared.keysOf(some), memory.keysOf(some));
    for (const groupByLength of [true, false]) {
      const o = { batchSize: 16, seed: 4, groupByLength };
      assert.deepEqual(planEpoch(prepared, o, 1).batches, planEpoch(memory, o, 1).batches);
    }
    // many small shards hold the same rows and give the same batches
    const tiny = await prepareShards([join(dir, 'train.tsv')], tok, join(dir, 'tiny'), { maxSeqLength: 16, workers: 0, shardRows: 64, quiet: true });
    assert.equal(tiny.shards.length, 7);
    assert.equal(tiny.fingerprint, manifest.fingerprint);
    const sharded = PreparedData.open(join(dir, 'tiny'));
    assert.deepEqual(planEpoch(sharded, { batchSize: 16, seed: 4, groupByLength: true }, 0).batches, planEpoch(memory, { batchSize: 16, seed: 4, groupByLength: true }, 0).batches);
    sharded.close();
    prepared.close();
  } finally {
    cleanup();
  }
});

test('prepare -> train ends with exactly the weights of training from the TSV', { skip: needsTorch }, async () => {
  const { dir, cleanup } = tempDir();
  try {
    const { train } = syntheticPairs(30, 8, 9);
    writeFileSync(join(dir, 'train.tsv'), tsv(train));
    await prepareShards([join(dir, 'train.tsv')], tok, join(dir, 'prep'), { maxSeqLength: 32, workers: 0, shardRows: 100, quiet: true });
    const opts = { batchSize: 16, learningRate: 1e-3, epochs: 2, maxSteps: 20, seed: 3, quiet: true };
    const a = DualEncoder.random(microConfig(tok.vocabSize), tok, 5), b = DualEncoder.random(microConfig(tok.vocabSize), tok, 5);
    await new Trainer(a, InMemoryTrainingData.fromPairs(readPairs(join(dir, 'train.tsv')).pairs, tok, 32), { ...opts, saveDir: join(dir, 'a') }).train();
    const prepared = PreparedData.open(join(dir, 'prep'));
    assert.equal(prepared.manifest.shards.length, 3, '240 rows in shards of 100');
    await new Trainer(b, prepared, { ...opts, saveDir: join(dir, 'b') }).train();
    const wa = modelWeights(a), wb = modelWeights(b);
    for (const [name, t] of wa) assert.deepEqual(Array.from(wb.get(name)!.data), Array.from(t.data), name);
    prepared.close();
  } finally {
    cleanup();
  }
});

test('.gz files, folders and globs read as one set; a bad line names its file and line', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const { train } = syntheticPairs(20, 5, 10);
    const all = tsv(train).split('\n').filter(Boolean).map((l) => l + '\n');
    mkdirSync(join(dir, 'parts'));
    writeFileSync(join(dir, 'parts', 'a.tsv'), all.slice(0, 40).join(''));
    writeFileSync(join(dir, 'parts', 'b.tsv.gz'), gzipSync(all.slice(40).join('')));
    writeFileSync(join(dir, 'whole.tsv'), all.join(''));
    const whole = await prepareShards([join(dir, 'whole.tsv')], tok, join(dir, 'p0'), { maxSeqLength: 16, workers: 0, quiet: true });
    const folder = await prepareShards([join(dir, 'parts')], tok, join(dir, 'p1'), { maxSeqLength: 16, workers: 0, quiet: true });
    const glob = await prepareShards([join(dir, 'parts', '*.ts*')], tok, join(dir, 'p2'), { maxSeqLength: 16, workers: 0, quiet: true });
    assert.equal(folder.fingerprint, whole.fingerprint);
    assert.equal(glob.fingerprint, whole.fingerprint);
    assert.deepEqual(folder.sources.map((s) => [s.path.split('/').pop(), s.lines]), [['a.tsv', 40], ['b.tsv.gz', 60]]);
    writeFileSync(join(dir, 'parts', 'c.tsv.gz'), gzipSync('q\tp\nonly one column\n'));
    await assert.rejects(prepareShards([join(dir, 'parts')], tok, join(dir, 'p3'), { maxSeqLength: 16, workers: 0, quiet: true }), /c\.tsv\.gz:2: expected query<TAB>positive, found one column/);
    assert.ok(!existsSync(join(dir, 'p3')) && !readdirSync(dir).some((n) => n.startsWith('.tmp')), 'a failed prepare leaves nothing');
    const skipped = await prepareShards([join(dir, 'parts')], tok, join(dir, 'p4'), { maxSeqLength: 16, workers: 0, skipBadLines: true, quiet: true });
    assert.deepEqual(skipped.bad_lines, { count: 1, first: [`${join(dir, 'parts', 'c.tsv.gz')}:2: expected query<TAB>positive, found one column`] });
    writeFileSync(join(dir, 'broken.tsv.gz'), Buffer.from('not gzip at all'));
    await assert.rejects(prepareShards([join(dir, 'broken.tsv.gz')], tok, join(dir, 'p5'), { workers: 0, quiet: true }), /broken\.tsv\.gz: cannot read \(not a valid gzip file\)/);
  } finally {
    cleanup();
  }
});

test('CLI: a killed prepare leaves nothing that looks complete; another tokenizer is refused; resume after SIGKILL is exact', { skip: needsTorch, timeout: 180_000 }, async () => {
  const { dir, cleanup } = tempDir();
  try {
    const w = writeCliWorld(dir, 60);
    assert.equal(inbatch('init', '--config', 'tiny', '--vocab', w.vocab, '--max-seq-length', '16', '--save-dir', w.file('m')).code, 0);
    // a big input, killed mid-prepare
    writeFileSync(w.file('big.tsv'), readFileSync(w.file('train.tsv'), 'utf8').repeat(400));
    const child = inbatchChild('prepare', '--train-set', w.file('big.tsv'), '--model', w.file('m'), '--output', w.file('prep-big'), '--workers', '1');
    const exited = new Promise((r) => child.on('exit', r));
    await new Promise((r) => setTimeout(r, 700));
    child.kill('SIGKILL');
    await exited;
    assert.ok(!PreparedData.isPrepared(w.file('prep-big')), 'no manifest after a kill');

    const prep = inbatch('prepare', '--train-set', w.file('train.tsv'), '--model', w.file('m'), '--output', w.file('prep'));
    assert.equal(prep.code, 0, prep.err);
    assert.match(prep.err, /360 rows, \d+ tokens in 1 shard\(s\) from 1 file\(s\)/);
    // a model with another vocabulary (the same tokens in another order) cannot train on it
    writeFileSync(join(dir, 'vocab2.txt'), readFileSync(w.vocab, 'utf8').trim().split('\n').reverse().join('\n') + '\n');
    assert.equal(inbatch('init', '--config', 'tiny', '--vocab', join(dir, 'vocab2.txt'), '--max-seq-length', '16', '--save-dir', w.file('m2')).code, 0);
    const refused = inbatch('train', '--model', w.file('m2'), '--train-set', w.file('prep'), '--save-dir', w.file('r'));
    assert.equal(refused.code, 1);
    assert.match(refused.err, /was prepared with another tokenizer/);

    // SIGKILL after a checkpoint, then --resume: the same weights as an uninterrupted run
    const args = (save: string, steps: string) => ['train', '--model', w.file('m'), '--train-set', w.file('prep'), '--save-dir', save, '--batch-size', '8', '--max-steps', steps, '--save-steps', '5', '--keep-checkpoints', '10'];
    assert.equal(inbatch(...args(w.file('straight'), '40')).code, 0);
    const run = inbatchChild(...args(w.file('cut'), '40'));
    const done = new Promise((r) => run.on('exit', r));
    while (!existsSync(w.file('cut/checkpoint-15'))) await new Promise((r) => setTimeout(r, 50));
    run.kill('SIGKILL');
    await done;
    const resumed = inbatch(...args(w.file('cut'), '40'), '--resume');
    assert.equal(resumed.code, 0, resumed.err);
    assert.match(resumed.err, /resuming from .*checkpoint-\d+ at step \d+/);
    const a = readSafetensors(w.file('straight/model_final/model.safetensors')).tensors, b = readSafetensors(w.file('cut/model_final/model.safetensors')).tensors;
    for (const [name, t] of a) {
      let diff = 0;
      t.data.forEach((x, i) => { diff = Math.max(diff, Math.abs(x - b.get(name)!.data[i]!)); });
      assert.ok(diff <= 1e-6, `${name} differs by ${diff}`);
    }
  } finally {
    cleanup();
  }
});
