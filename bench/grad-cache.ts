// bench/grad-cache: peak RSS and time of a training step of the small config at batch 1024
// (max_seq_length 32), plain vs GradCache with chunks of 64, each measured in a fresh process.
//   npm run bench:grad-cache [-- --batch 1024 --chunk 64 --steps 3]
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readPairs } from '../src/data/pairs.js';
import { presetConfig } from '../src/model/config.js';
import { DualEncoder } from '../src/model/dual-encoder.js';
import { BertTokenizer } from '../src/text/bert-tokenizer.js';
import { readVocabTxt } from '../src/text/load-tokenizer.js';
import * as T from '../src/torch/index.js';
import { InMemoryTrainingData } from '../src/train/training-data.js';
import { Trainer } from '../src/train/trainer.js';
import { numberArg, repoRoot, sharedData } from './common.js';

const BATCH = numberArg('batch', 1024), CHUNK = numberArg('chunk', 64), STEPS = numberArg('steps', 3);
const mode = process.argv.includes('--child-plain') ? 'plain' : process.argv.includes('--child-cache') ? 'cache' : undefined;

if (mode) {
  T.loadNative();
  const tokenizer = new BertTokenizer(readVocabTxt(join(sharedData, 'vocab.txt')));
  const pairs = readPairs(join(sharedData, 'zh-sim-pairs', 'train.tsv')).pairs.slice(0, BATCH * (STEPS + 1));
  const config = presetConfig('small', tokenizer.vocabSize, { max_seq_length: 32, pooling: 'mean' });
  const model = DualEncoder.random(config, tokenizer, 1);
  let start = 0;
  await new Trainer(model, InMemoryTrainingData.fromPairs(pairs, tokenizer, 32), {
    saveDir: join(repoRoot, 'runs', `bench-grad-cache-${mode}`), batchSize: BATCH, maxSteps: STEPS + 1, epochs: 1, saveSteps: 0, quiet: true, overwrite: true,
    gradCacheChunkSize: mode === 'cache' ? CHUNK : undefined,
  }, { onStep: (s) => { if (s.globalStep === 1) start = performance.now(); } }).train();
  console.log(JSON.stringify({ secondsPerStep: (performance.now() - start) / 1000 / STEPS, maxRssMb: process.resourceUsage().maxRSS / 1024 }));
} else {
  if (!existsSync(join(sharedData, 'zh-sim-pairs', 'train.tsv'))) { console.error(`bench/grad-cache needs ${sharedData}`); process.exit(1); }
  const run = (flag: string) => {
    const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), flag, '--batch', String(BATCH), '--chunk', String(CHUNK), '--steps', String(STEPS)], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { secondsPerStep: number; maxRssMb: number };
  };
  const plain = run('--child-plain'), cache = run('--child-cache');
  console.log(`bench/grad-cache: small config, batch ${BATCH}, max_seq_length 32, ${STEPS} timed steps (after one), ${new Date().toISOString().slice(0, 10)}`);
  console.log(`${''.padEnd(22)}${'s/step'.padStart(10)}${'peak RSS MB'.padStart(14)}`);
  console.log(`${'plain step'.padEnd(22)}${plain.secondsPerStep.toFixed(2).padStart(10)}${plain.maxRssMb.toFixed(0).padStart(14)}`);
  console.log(`${`GradCache, chunk ${CHUNK}`.padEnd(22)}${cache.secondsPerStep.toFixed(2).padStart(10)}${cache.maxRssMb.toFixed(0).padStart(14)}`);
  console.log(`ratio peak RSS GradCache/plain: ${(cache.maxRssMb / plain.maxRssMb).toFixed(2)} (target <= 0.4); time ratio: ${(cache.secondsPerStep / plain.secondsPerStep).toFixed(2)}`);
}
