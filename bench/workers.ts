// bench/workers: pairs/s of data-parallel training, 2 workers x 1 thread (each --batch-size 32) against
// 1 process x 2 threads (--batch-size 64): the same global batches of the small config, max_seq_length 64.
//   npm run bench:workers [-- --steps 40 --rounds 3]
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { makeDir } from '../src/util/make-dir.js';
import { numberArg, repoRoot, sharedData } from './common.js';

const STEPS = numberArg('steps', 40), WARMUP = 5;
const work = join(repoRoot, 'runs', 'bench-workers');
makeDir(work);
const cli = join(repoRoot, 'dist', 'src', 'cli', 'main.js');
const run = (args: string[], env: Record<string, string> = {}) => {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
  if (r.status !== 0) throw new Error(`${args.join(' ')}\n${r.stderr}`);
};
if (!existsSync(join(sharedData, 'zh-sim-pairs', 'train.tsv'))) { console.error(`bench/workers needs ${sharedData}`); process.exit(1); }
if (!existsSync(join(work, 'init'))) run(['init', '--config', 'small', '--vocab', join(sharedData, 'vocab.txt'), '--max-seq-length', '64', '--save-dir', join(work, 'init')]);
if (!existsSync(join(work, 'prep'))) run(['prepare', '--train-set', join(sharedData, 'zh-sim-pairs', 'train.tsv'), '--model', join(work, 'init'), '--output', join(work, 'prep')]);

/** Global pairs per second over the steps after the warm-up, from the run's log. */
function pairsPerSecond(args: string[], env: Record<string, string>): number {
  const save = join(work, 'run');
  rmSync(save, { recursive: true, force: true });
  run(['train', '--model', join(work, 'init'), '--train-set', join(work, 'prep'), '--save-dir', save, '--max-steps', String(STEPS + WARMUP), '--logging-steps', '1', '--save-steps', '0', ...args], env);
  const steps = readFileSync(join(save, 'train_log.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((r) => typeof r.loss === 'number');
  const first = steps.find((r) => r.step === WARMUP)!, last = steps.at(-1)!;
  return (64 * (last.step - first.step)) / ((Date.parse(last.time) - Date.parse(first.time)) / 1000);
}

// this machine's speed drifts over minutes: the two set-ups alternate, and each round's ratio is of
// runs made one right after the other; the median round is reported
const ROUNDS = numberArg('rounds', 3);
const rounds: { single: number; workers: number }[] = [];
for (let r = 0; r < ROUNDS; r++) {
  const single = pairsPerSecond(['--batch-size', '64'], { INBATCH_THREADS: '2' });
  const workers = pairsPerSecond(['--batch-size', '32', '--nproc-per-node', '2', '--master-port', String(29561 + r)], {});
  rounds.push({ single, workers });
}
console.log(`bench/workers: small config, global batch 64, max_seq_length 64, ${STEPS} timed steps, ${ROUNDS} alternating rounds, ${new Date().toISOString().slice(0, 10)}`);
console.log('round  1 process x 2 threads (batch 64)  2 workers x 1 thread (32 each)  ratio');
rounds.forEach((x, i) => console.log(`${String(i + 1).padStart(5)}  ${x.single.toFixed(1).padStart(24)} pairs/s  ${x.workers.toFixed(1).padStart(22)} pairs/s  ${(x.workers / x.single).toFixed(2)}`));
const ratios = rounds.map((x) => x.workers / x.single).sort((a, b) => a - b);
console.log(`median ratio 2 workers / 1 process: ${ratios[Math.floor(ratios.length / 2)]!.toFixed(2)} (target >= 0.9)`);
