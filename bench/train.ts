// bench/train: training throughput of inbatch (libtorch from Node) against the same step
// written directly in PyTorch (Debian python3-torch), measured in the same run on the same batches.
// Also: length-grouped batching vs padding every batch to max_seq_length, on zh-sim-pairs.
// And each loss option of #21 against the plain step (time per step, the option's own memory).
//   npm run bench:train [-- --steps 10] [-- --loss-options-only [--only SUBSTRING]]
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readPairs, type TextPair } from '../src/data/pairs.js';
import { presetConfig } from '../src/model/config.js';
import { DualEncoder } from '../src/model/dual-encoder.js';
import { BertTokenizer } from '../src/text/bert-tokenizer.js';
import { readVocabTxt } from '../src/text/load-tokenizer.js';
import * as T from '../src/torch/index.js';
import { prepareTrainingData } from '../src/train/training-data.js';
import { planEpoch } from '../src/train/sampler.js';
import type { TrainOptions } from '../src/train/options.js';
import { collateRows } from '../src/train/batch.js';
import { Trainer } from '../src/train/trainer.js';
import type { MemoryBank } from '../src/train/memory-bank.js';
import { numberArg, repoRoot, sharedData } from './common.js';

const STEPS = numberArg('steps', 10), WARMUP = 2, BATCH = 32, MAX_LEN = 64;

const vocabPath = join(sharedData, 'vocab.txt');
const trainPath = join(sharedData, 'zh-sim-pairs', 'train.tsv');
if (!existsSync(vocabPath) || !existsSync(trainPath)) {
  console.error(`bench/train needs ${vocabPath} and ${trainPath}`);
  process.exit(1);
}
T.loadNative();
const tokenizer = new BertTokenizer(readVocabTxt(vocabPath));
const pairs: TextPair[] = readPairs(trainPath).pairs.slice(0, 20000);
const config = presetConfig('small', tokenizer.vocabSize, { max_seq_length: MAX_LEN });
const data = prepareTrainingData(pairs, tokenizer, MAX_LEN);

/** A bank full from the first step (random unit rows, keys no text has), so its cost is the full bank's. */
function fillBank(bank: MemoryBank): void {
  const n = bank.capacity, d = bank.dim;
  const rows = () => {
    const v = Float32Array.from({ length: n * d }, () => Math.random() - 0.5);
    for (let i = 0; i < n; i++) { const r = v.subarray(i * d, (i + 1) * d); const norm = Math.hypot(...r); r.forEach((x, j) => { r[j] = x / norm; }); }
    return v;
  };
  const keys = () => Float64Array.from({ length: n }, (_, i) => -1 - i);
  bank.push({ vectors: rows(), keys: keys(), ...(bank.dual ? { queries: rows(), queryKeys: keys() } : {}) });
}

/** Seconds per step over `steps` steps after `warmup` steps, plus pairs and real tokens seen. */
async function timeTrainer(options: Partial<TrainOptions>, steps: number) {
  const model = DualEncoder.random(config, tokenizer, 1);
  let start = 0, pairsSeen = 0;
  const trainer: Trainer = new Trainer(model, data, {
    saveDir: join(repoRoot, 'runs', 'bench-train'), batchSize: BATCH, epochs: 1, maxSteps: WARMUP + steps, saveSteps: 0, quiet: true, loggingSteps: 1000, ...options,
  }, { onStep: (s) => { if (s.globalStep === WARMUP) start = performance.now(); } });
  const o = trainer.options;
  const plan = planEpoch(data, { batchSize: o.batchSize, seed: o.seed, groupByLength: o.groupByLength }, 0).batches;
  const collate = (rows: Uint32Array) => collateRows(data, rows, tokenizer.padId, o.padToMaxLength);
  if (trainer.bank) fillBank(trainer.bank);
  let tokens = 0;
  for (const rows of plan.slice(WARMUP, WARMUP + steps)) {
    const { queries, titles } = collate(rows);
    tokens += queries.tokens + titles.tokens;
    pairsSeen += rows.length;
  }
  await trainer.train();
  const seconds = (performance.now() - start) / 1000;
  model.dispose();
  return { secondsPerStep: seconds / steps, pairsPerSecond: pairsSeen / seconds, tokensPerSecond: tokens / seconds, collate, plan, stateBytes: trainer.lossStateBytes };
}

// 3. the loss options against the plain step, alternating so drift hits both; the median of 3 rounds
if (process.argv.includes('--loss-options-only')) {
  const options: [string, Partial<TrainOptions>][] = [
    ['--false-negative-margin 0.1', { falseNegativeMargin: 0.1 }],
    ['--logq-correction', { logqCorrection: true }],
    ['--memory-bank-size 4096', { memoryBankSize: 4096, memoryBankWarmup: 0 }],
    ['--memory-bank-size 4096 --memory-bank-queries', { memoryBankSize: 4096, memoryBankWarmup: 0, memoryBankQueries: true }],
    ['--memory-bank-size 512 --memory-bank-queries', { memoryBankSize: 512, memoryBankWarmup: 0, memoryBankQueries: true }],
    ['--matryoshka-dims 256,128,64,32 (distill 1)', { matryoshkaDims: [256, 128, 64, 32] }],
    ['--matryoshka-dims 256,128,64,32 --matryoshka-distill 0', { matryoshkaDims: [256, 128, 64, 32], matryoshkaDistill: 0 }],
  ];
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  console.log(`bench/train loss options: small config, batch ${BATCH}, ${STEPS} timed steps after ${WARMUP}, ${T.getNumThreads()} threads; median of 3 alternating rounds`);
  console.log(`${''.padEnd(56)}${'s/step'.padStart(10)}${'plain'.padStart(10)}${'ratio'.padStart(8)}${'state MiB'.padStart(11)}`);
  const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1]! : '';
  for (const [name, o] of options.filter(([n]) => n.includes(only))) {
    const plain: number[] = [], withOption: number[] = [];
    let bytes = 0;
    for (let round = 0; round < 3; round++) {
      plain.push((await timeTrainer({}, STEPS)).secondsPerStep);
      const r = await timeTrainer(o, STEPS);
      withOption.push(r.secondsPerStep);
      bytes = r.stateBytes;
    }
    const [a, b] = [median(withOption), median(plain)];
    console.log(`${name.padEnd(56)}${a.toFixed(3).padStart(10)}${b.toFixed(3).padStart(10)}${(a / b).toFixed(2).padStart(8)}${(bytes / 2 ** 20).toFixed(1).padStart(11)}`);
  }
  process.exit(0);
}

// 1. inbatch vs PyTorch on identical fixed-shape batches: 32 pairs x 64 tokens
const fixed = await timeTrainer({ groupByLength: false, padToMaxLength: MAX_LEN }, STEPS);
const toIds = (b: BigInt64Array) => Array.from({ length: BATCH }, (_, r) => Array.from(b.subarray(r * MAX_LEN, (r + 1) * MAX_LEN), Number));
const batches = fixed.plan.slice(0, WARMUP + STEPS).map((rows) => {
  const { queries, titles } = fixed.collate(rows);
  return [toIds(queries.inputIds), toIds(titles.inputIds)];
});
const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const py = spawnSync(python, [join(repoRoot, 'bench', 'pytorch_step.py')], {
  input: JSON.stringify({ config, emb: config.inbatch.output_emb_size, batches, steps: STEPS, warmup: WARMUP, threads: T.getNumThreads() }),
  encoding: 'utf8', maxBuffer: 1 << 26,
});
if (py.status !== 0) {
  console.error(`PyTorch reference failed (install python3-torch: bash scripts/install-system-deps.sh --bench):\n${py.stderr}`);
  process.exit(1);
}
const ref = JSON.parse(py.stdout) as { seconds_per_step: number; torch: string; threads: number };

// 2. length-grouped dynamic padding vs padding to max_seq_length, same rows budget
const grouped = await timeTrainer({ groupByLength: true }, STEPS);

const row = (name: string, sps: number, pairsPerS: number, tokensPerS?: number) =>
  `${name.padEnd(34)}${sps.toFixed(3).padStart(10)}${pairsPerS.toFixed(1).padStart(10)}${tokensPerS === undefined ? '' : tokensPerS.toFixed(0).padStart(12)}`;
console.log(`bench/train: small config (4 layers, 256 hidden, 4 heads, 1024 FFN), batch ${BATCH}, max_seq_length ${MAX_LEN}, ${STEPS} timed steps, ${T.getNumThreads()} threads, libtorch ${T.libtorchVersion()}, PyTorch ${ref.torch}`);
console.log(`${''.padEnd(34)}${'s/step'.padStart(10)}${'pairs/s'.padStart(10)}${'tokens/s'.padStart(12)}`);
console.log(row('inbatch, padded to 64', fixed.secondsPerStep, fixed.pairsPerSecond, fixed.tokensPerSecond));
console.log(row('PyTorch, same batches', ref.seconds_per_step, BATCH / ref.seconds_per_step));
console.log(row('inbatch, length-grouped', grouped.secondsPerStep, grouped.pairsPerSecond, grouped.tokensPerSecond));
console.log(`ratio inbatch/PyTorch throughput: ${(ref.seconds_per_step / fixed.secondsPerStep).toFixed(3)} (target >= 0.95)`);
console.log(`ratio length-grouped/padded-to-max pairs/s: ${(grouped.pairsPerSecond / fixed.pairsPerSecond).toFixed(2)} (target >= 1.3)`);
