// bench/checkpoint-load: loading a BERT-base-sized checkpoint (21128 x 768 embeddings, 12 layers:
// ~102M float32 values, ~409 MB) as model.safetensors and as pytorch_model.bin, each in a fresh
// process for its peak RSS:
//   inbatch    the readers (safetensors.ts, torch-checkpoint.ts): tensors read by position
//   reference  the whole file read into one buffer first (readFileSync), then the same decoding:
//              what inbatch did before, and what fails outright past 2 GiB
//   npm run bench:checkpoint-load [-- --layers 12 --hidden 768]
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decode, readSafetensors, writeSafetensors, type NamedArray } from '../src/weights/safetensors.js';
import { readTorchCheckpoint } from '../src/weights/torch-checkpoint.js';
import { Random } from '../src/util/random.js';
import { torchSaveBytes } from '../test/weights/pickle-writer.js';
import { numberArg, repoRoot } from './common.js';

const LAYERS = numberArg('layers', 12), HIDDEN = numberArg('hidden', 768), VOCAB = 21128;
const dir = join(repoRoot, 'runs', 'bench-checkpoint-load');
const child = process.argv.indexOf('--child');

/** The previous reader: the whole file in one buffer, then each tensor decoded from it. */
function referenceSafetensors(path: string): Map<string, NamedArray> {
  const buf = readFileSync(path);
  const headerLength = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + headerLength).toString('utf8')) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  const out = new Map<string, NamedArray>();
  for (const [name, e] of Object.entries(header)) {
    const count = e.shape.reduce((a, d) => a * d, 1);
    out.set(name, { shape: e.shape, data: decode(e.dtype, buf.subarray(8 + headerLength + e.data_offsets[0], 8 + headerLength + e.data_offsets[1]), count, name) });
  }
  return out;
}

/** The previous .bin reader's memory: the whole zip in one buffer beside the decoded storages. */
function referenceTorch(path: string): Map<string, NamedArray> {
  const whole = readFileSync(path);
  const tensors = readTorchCheckpoint(path);
  if (whole.length === 0) throw new Error('empty');
  return tensors;
}

if (child >= 0) {
  const [mode, path] = [process.argv[child + 1]!, process.argv[child + 2]!];
  const start = performance.now();
  const tensors = mode === 'inbatch-st' ? readSafetensors(path).tensors
    : mode === 'reference-st' ? referenceSafetensors(path)
      : mode === 'inbatch-bin' ? readTorchCheckpoint(path)
        : referenceTorch(path);
  const seconds = (performance.now() - start) / 1000;
  let values = 0, checksum = 0;
  for (const [name, t] of [...tensors].sort(([a], [b]) => (a < b ? -1 : 1))) {
    values += t.data.length;
    for (let i = 0; i < t.data.length; i += 97) checksum += t.data[i]! * (1 + (i % 13)) + name.length;
  }
  console.log(JSON.stringify({ seconds, tensors: tensors.size, values, checksum, maxRssMb: process.resourceUsage().maxRSS / 1024 }));
} else if (process.argv.includes('--make')) {
  // the files are written by their own process: Linux keeps a process's peak RSS across fork and
  // exec, so the measuring children must come from a parent that never held the tensors
  mkdirSync(dir, { recursive: true });
  const random = new Random(1);
  const shapes: [string, number[]][] = [['embeddings.word_embeddings.weight', [VOCAB, HIDDEN]], ['embeddings.position_embeddings.weight', [512, HIDDEN]]];
  for (let l = 0; l < LAYERS; l++) {
    for (const n of ['query', 'key', 'value']) shapes.push([`encoder.layer.${l}.attention.self.${n}.weight`, [HIDDEN, HIDDEN]]);
    shapes.push([`encoder.layer.${l}.attention.output.dense.weight`, [HIDDEN, HIDDEN]]);
    shapes.push([`encoder.layer.${l}.intermediate.dense.weight`, [4 * HIDDEN, HIDDEN]], [`encoder.layer.${l}.output.dense.weight`, [HIDDEN, 4 * HIDDEN]]);
  }
  const tensors = new Map<string, NamedArray>(shapes.map(([name, shape]) => {
    const data = new Float32Array(shape.reduce((a, d) => a * d, 1));
    for (let i = 0; i < data.length; i++) data[i] = random.next() - 0.5;
    return [name, { shape, data }];
  }));
  writeSafetensors(join(dir, 'model.safetensors'), tensors);
  writeFileSync(join(dir, 'pytorch_model.bin'), torchSaveBytes(tensors));
} else {
  rmSync(dir, { recursive: true, force: true });
  const made = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--make', '--layers', String(LAYERS), '--hidden', String(HIDDEN)], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(made.stderr);
  const st = join(dir, 'model.safetensors'), bin = join(dir, 'pytorch_model.bin');
  const run = (mode: string, path: string) => {
    const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', mode, path], { encoding: 'utf8', maxBuffer: 1 << 20 });
    if (r.status !== 0) throw new Error(r.stderr);
    return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { seconds: number; tensors: number; values: number; checksum: number; maxRssMb: number };
  };
  const rows: string[] = [];
  let described = '';
  for (const [kind, path] of [['model.safetensors', st], ['pytorch_model.bin', bin]] as const) {
    const suffix = kind.endsWith('.bin') ? 'bin' : 'st';
    const ref = run(`reference-${suffix}`, path), ours = run(`inbatch-${suffix}`, path);
    described ||= `${ours.tensors} tensors, ${((ours.values * 4) / 2 ** 20).toFixed(0)} MB of float32 (.bin: one storage each), each load in a fresh process`;
    if (ref.values !== ours.values || ref.checksum !== ours.checksum) throw new Error(`${kind}: ${ours.values} values (checksum ${ours.checksum}) read, the reference read ${ref.values} (${ref.checksum})`);
    rows.push(`| ${kind} | reference (whole file) | ${ref.seconds.toFixed(2)} | ${ref.maxRssMb.toFixed(0)} | 1.00x | 1.00x |`);
    rows.push(`| ${kind} | inbatch (by position) | ${ours.seconds.toFixed(2)} | ${ours.maxRssMb.toFixed(0)} | ${(ours.maxRssMb / ref.maxRssMb).toFixed(2)}x | ${(ours.seconds / ref.seconds).toFixed(2)}x |`);
  }
  console.log(`bench/checkpoint-load: ${described}`);
  console.log('| file | reader | seconds | peak RSS MB | RSS vs reference | time vs reference |');
  console.log('|---|---|---|---|---|---|');
  for (const row of rows) console.log(row);
  rmSync(dir, { recursive: true, force: true });
}
