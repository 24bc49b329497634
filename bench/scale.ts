// bench/scale: training data at the recipe's scale. Builds N distinct pairs from
// ../shared/data/zh-sim-pairs/train.tsv (copy k of every text gets the suffix " k"), then for each N:
//   prepare: pairs/s and peak RSS (`inbatch prepare`, 2 workers)
//   train:   seconds to the first step and peak RSS over 20 steps of the small config from the shards
// and, as the reference in the same run, the in-memory path (every pair held in the JS heap) at the smallest N.
//   npm run bench:scale [-- --sizes 1000000,5000000,20000000]
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { makeDir } from '../src/util/make-dir.js';
import { repoRoot, sharedData } from './common.js';

const sizesArg = process.argv.indexOf('--sizes');
const SIZES = (sizesArg >= 0 ? process.argv[sizesArg + 1]! : '1000000,5000000,20000000').split(',').map(Number);
const source = join(sharedData, 'zh-sim-pairs', 'train.tsv');
if (!existsSync(source)) { console.error(`bench/scale needs ${source}`); process.exit(1); }
const work = join(repoRoot, 'runs', 'bench-scale');
makeDir(work);
const cli = join(repoRoot, 'dist', 'src', 'cli', 'main.js');
const base = readFileSync(source, 'utf8').split('\n').filter(Boolean).map((l) => l.split('\t'));

/** Runs a command under /usr/bin/time; returns wall seconds and peak RSS in MB. */
function timed(args: string[]): { seconds: number; rssMb: number; stderr: string; started: number } {
  const started = Date.now();
  const r = spawnSync('/usr/bin/time', ['-f', 'TIME %e %M', process.execPath, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const m = /TIME ([\d.]+) (\d+)\s*$/.exec(r.stderr);
  if (r.status !== 0 || !m) throw new Error(`${args.join(' ')} failed:\n${r.stderr.slice(-2000)}`);
  return { seconds: Number(m[1]), rssMb: Number(m[2]) / 1024, stderr: r.stderr, started };
}

async function writePairs(n: number): Promise<string> {
  const file = join(work, `pairs-${n}.tsv`);
  if (existsSync(file)) return file;
  const out = createWriteStream(`${file}.partial`);
  for (let i = 0; i < n; i++) {
    const [q, p] = base[i % base.length]!;
    const k = Math.floor(i / base.length);
    if (!out.write(k ? `${q} ${k}\t${p} ${k}\n` : `${q}\t${p}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  (await import('node:fs')).renameSync(`${file}.partial`, file);
  return file;
}

const model = join(work, 'small-init');
if (!existsSync(model)) timed([cli, 'init', '--config', 'small', '--vocab', join(sharedData, 'vocab.txt'), '--max-seq-length', '64', '--save-dir', model]);

const rows: string[] = [];
let smallestFile = '';
for (const n of SIZES) {
  const file = await writePairs(n);
  smallestFile ||= file;
  const prepared = join(work, `prepared-${n}`);
  rmSync(prepared, { recursive: true, force: true });
  const prep = timed([cli, 'prepare', '--train-set', file, '--model', model, '--output', prepared, '--workers', '2']);
  const save = join(work, `train-${n}`);
  rmSync(save, { recursive: true, force: true });
  const train = timed([cli, 'train', '--model', model, '--train-set', prepared, '--save-dir', save, '--max-steps', '20', '--logging-steps', '1', '--batch-size', '64', '--save-steps', '0']);
  const first = readFileSync(join(save, 'train_log.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)).find((r) => r.step === 1);
  const toFirst = (Date.parse(first.time) - train.started) / 1000;
  rows.push(`${String(n).padStart(10)}${(n / prep.seconds).toFixed(0).padStart(12)}${prep.rssMb.toFixed(0).padStart(12)}${toFirst.toFixed(1).padStart(14)}${train.rssMb.toFixed(0).padStart(13)}`);
  console.error(rows.at(-1));
  rmSync(save, { recursive: true, force: true });
}

// the reference: the same rows held in memory (InMemoryTrainingData), as `train` did before shards
const reference = timed(['--input-type=module', '-e', `
  const { readPairs } = await import(${JSON.stringify(join(repoRoot, 'dist', 'src', 'data', 'pairs.js'))});
  const { InMemoryTrainingData } = await import(${JSON.stringify(join(repoRoot, 'dist', 'src', 'train', 'training-data.js'))});
  const { loadTokenizer } = await import(${JSON.stringify(join(repoRoot, 'dist', 'src', 'text', 'load-tokenizer.js'))});
  const data = InMemoryTrainingData.fromPairs(readPairs(${JSON.stringify(smallestFile)}).pairs, loadTokenizer(${JSON.stringify(model)}), 64);
  console.error('rows', data.rows);
`]);

console.log(`bench/scale: small config (4 layers, 256 hidden), max_seq_length 64, batch 64, ${new Date().toISOString().slice(0, 10)}`);
console.log(`${'pairs'.padStart(10)}${'prepare/s'.padStart(12)}${'prep MB'.padStart(12)}${'first step s'.padStart(14)}${'train MB'.padStart(13)}`);
for (const r of rows) console.log(r);
const rss = rows.map((r) => Number(r.trim().split(/\s+/)[4]));
if (SIZES.length > 1) {
  const perPair = ((rss.at(-1)! - rss.at(-2)!) * 1024 * 1024) / (SIZES.at(-1)! - SIZES.at(-2)!);
  console.log(`train RSS growth from ${SIZES.at(-2)} to ${SIZES.at(-1)} pairs: ${perPair.toFixed(1)} bytes per pair (target <= 16)`);
}
console.log(`reference, ${SIZES[0]} pairs held in memory before the first step (no model): ${reference.seconds.toFixed(1)} s, ${reference.rssMb.toFixed(0)} MB; ` +
  `ratio train peak RSS from shards / in-memory data alone: ${(rss[0]! / reference.rssMb).toFixed(2)}`);
