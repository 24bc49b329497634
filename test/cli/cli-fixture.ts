// A small world for the command tests: a vocabulary, synthetic train/dev/corpus files in both
// layouts, and the CLI runner.
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, writeVocab } from '../helpers.js';
import { SYNTHETIC_CHARS, syntheticPairs } from '../train/synthetic.js';

export const cli = join(repoRoot, 'dist', 'src', 'cli', 'main.js');

export function inbatch(...args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Starts the CLI in the background (for signals). */
export function inbatchChild(...args: string[]) {
  return spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
}

export interface CliWorld {
  dir: string;
  vocab: string;
  heldOut: { query: string; positive: string }[];
  file: (name: string) => string;
}

export function writeCliWorld(dir: string, pairs = 30): CliWorld {
  const vocab = writeVocab(dir, SYNTHETIC_CHARS);
  const { train, heldOut } = syntheticPairs(pairs, 6, 5);
  const file = (name: string) => join(dir, name);
  writeFileSync(file('train.tsv'), train.map((p) => `${p.query}\t${p.positive}\n`).join(''));
  writeFileSync(file('dev.tsv'), heldOut.map((p) => `${p.query}\t${p.positive}\n`).join(''));
  writeFileSync(file('corpus.txt'), heldOut.map((p) => p.positive).join('\n') + '\n');
  writeFileSync(file('queries.tsv'), heldOut.map((p, i) => `q${i}\t${p.query}\n`).join(''));
  writeFileSync(file('corpus.tsv'), heldOut.map((p, i) => `d${i}\t${p.positive}\n`).join(''));
  writeFileSync(file('qrels.tsv'), heldOut.map((_, i) => `q${i}\td${i}\t1\n`).join(''));
  return { dir, vocab, heldOut, file };
}
