// bench/fuzz: hostile input, bounded and on 127.0.0.1 only.
//  1. N random malformed HTTP requests against `inbatch serve` (a child process, so a crash shows
//     as its exit): counts by outcome, 5xx and dropped connections, server RSS before and after.
//  2. M mutated input files per command (byte flips, truncation, invalid UTF-8, wrong columns,
//     hostile .bin / .pdparams checkpoints and prepared shard folders,
//     lying safetensors headers): exit codes, and any signal, stack trace or hang counted as a crash.
//   npm run bench:fuzz [-- --requests 20000 --files 40]
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSafetensors, writeSafetensors } from '../src/weights/safetensors.js';
import { paddleSaveBytes, torchSaveBytes } from '../test/weights/pickle-writer.js';
import { exportModel } from '../src/export/export-model.js';
import { presetConfig } from '../src/model/config.js';
import { dualEncoderParameterShapes } from '../src/model/parameter-shapes.js';
import { BertTokenizer } from '../src/text/bert-tokenizer.js';
import { writeTokenizerFiles } from '../src/text/tokenizer-files.js';
import { Random } from '../src/util/random.js';
import { numberArg, repoRoot } from './common.js';

const REQUESTS = numberArg('requests', 20000), FILES = numberArg('files', 40);
const cli = join(repoRoot, 'dist', 'src', 'cli', 'main.js');
const work = mkdtempSync(join(tmpdir(), 'inbatch-fuzz-'));
const rng = new Random(7);
const pick = <T>(xs: T[]) => xs[Math.floor(rng.next() * xs.length)]!;
const int = (n: number) => Math.floor(rng.next() * n);

// a small random model, exported (no libtorch needed)
const chars = Array.from({ length: 300 }, (_, i) => String.fromCodePoint(0x4e00 + i));
const tokenizer = new BertTokenizer(new Map(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', ...chars, 'hello', 'world'].map((t, i) => [t, i])));
const config = presetConfig('tiny', tokenizer.vocabSize, { pooling: 'mean', output_emb_size: 64, max_seq_length: 64 });
const modelDir = join(work, 'model');
writeSafetensors(join(modelDir, 'model.safetensors'), new Map([...dualEncoderParameterShapes(config)].map(([name, shape]) => [name, {
  shape, data: () => Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (name.endsWith('LayerNorm.weight') ? 1 : 0.05 * (rng.next() - 0.5))),
}])));
writeFileSync(join(modelDir, 'config.json'), JSON.stringify(config));
writeTokenizerFiles(tokenizer, modelDir, config.inbatch.max_seq_length);
exportModel(modelDir, join(work, 'onnx'), { fp16: false });

// ---- 1. HTTP ------------------------------------------------------------------------------
const server = spawn(process.execPath, [cli, 'serve', '--model', join(work, 'onnx'), '--port', '0', '--max-texts', '64', '--request-timeout', '5000'], { stdio: ['ignore', 'ignore', 'pipe'] });
let serverErr = '';
let serverExit: number | null | undefined;
server.on('exit', (code, signal) => { serverExit = code ?? (signal ? -1 : null); });
const base = await new Promise<string>((resolve, reject) => {
  server.stderr.on('data', (d) => { serverErr += d; const m = /listening on (http:\/\/\S+)/.exec(serverErr); if (m) resolve(m[1]!); });
  server.on('exit', () => reject(new Error(serverErr)));
});
const rss = async () => Number(/process_resident_memory_bytes (\d+)/.exec(await (await fetch(`${base}/metrics`)).text())![1]);

const text = () => pick([
  () => chars.slice(int(300)).slice(0, int(40)).join(''),
  () => 'x'.repeat(int(200000)),
  () => Array.from({ length: int(3000) }, () => 'abcdefghij'.repeat(10)).join(' '),
  () => String.fromCharCode(...Array.from({ length: int(50) }, () => int(0xffff))),
  () => '\u0000\ud800\udfff😀',
  () => '',
])();
const value = (depth = 0): unknown => pick([
  () => text(), () => int(1e9) - 5e8, () => rng.next(), () => null, () => true,
  () => (depth < 3 ? Array.from({ length: int(depth ? 5 : 80) }, () => value(depth + 1)) : []),
  () => (depth < 3 ? { texts: value(depth + 1), query: value(depth + 1), k: value(depth + 1) } : {}),
])();
const body = (): string | ArrayBuffer => pick([
  () => JSON.stringify({ texts: Array.from({ length: int(70) }, text) }),
  () => JSON.stringify({ query: text(), texts: value(), k: value() }),
  () => JSON.stringify(value()),
  () => JSON.stringify({ texts: [text()] }).slice(0, int(30)),
  () => Uint8Array.from({ length: int(3000) }, () => int(256)).buffer,
  () => '{"texts": [' + '"a",'.repeat(int(400000)) + '"a"]}',
  () => '',
])();

const outcomes = new Map<string, number>();
const count = (k: string) => outcomes.set(k, (outcomes.get(k) ?? 0) + 1);
const rssBefore = await rss();
const started = Date.now();
for (let done = 0; done < REQUESTS;) {
  await Promise.all(Array.from({ length: Math.min(32, REQUESTS - done) }, async () => {
    const path = pick(['/embed', '/similarity', '/search', '/health', '/metrics', '/nope', '/embed/../health', '/%ff']);
    const method = pick(['POST', 'POST', 'POST', 'GET', 'PUT', 'DELETE']);
    const ct = pick(['application/json', 'application/json', 'text/plain', 'application/x-www-form-urlencoded', '']);
    const payload = method === 'GET' ? undefined : body();
    try {
      const r = await fetch(base + path, { method, headers: ct ? { 'content-type': ct } : {}, body: payload, signal: AbortSignal.timeout(30000) });
      await r.arrayBuffer();
      count(`${Math.floor(r.status / 100)}xx`);
    } catch (e) {
      // a body over the limit is answered 413 and the connection closed while the client still sends: not a server fault
      const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload?.byteLength ?? 0;
      count(size > 1 << 20 ? 'closed after 413' : 'connection error');
      if (size <= 1 << 20) console.error(`connection error: ${method} ${path} ${size} bytes: ${(e as Error & { cause?: { code?: string } }).cause?.code ?? (e as Error).message}`);
    }
  }));
  done += Math.min(32, REQUESTS - done);
}
const seconds = (Date.now() - started) / 1000;
const alive = (await fetch(`${base}/health`)).status === 200;
const rssAfter = await rss();
server.kill('SIGTERM');
await new Promise((r) => server.once('exit', r));

console.log(`bench/fuzz: ${REQUESTS} random malformed requests to inbatch serve (tiny model, 32 at a time, ${seconds.toFixed(0)} s)`);
for (const k of ['2xx', '4xx', '5xx', 'closed after 413', 'connection error']) console.log(`  ${k.padEnd(18)}${String(outcomes.get(k) ?? 0).padStart(8)}`);
console.log(`  server alive after: ${alive}, exit on SIGTERM: ${serverExit}; RSS ${(rssBefore / 1e6).toFixed(0)} MB -> ${(rssAfter / 1e6).toFixed(0)} MB`);

// ---- 2. files -------------------------------------------------------------------------------
const valid = {
  pairs: chars.slice(0, 60).map((c, i) => `${c}${chars[i + 1]}\t${chars[i + 2]}${c}\n`).join(''),
  qrels: 'q1\td1\t1\nq2\td2\t1\n',
  run: 'q1 Q0 d1 1 2.0 x\nq2 Q0 d2 1 1.0 x\n',
};
const mutate = (s: string | Buffer): Buffer => {
  const b = Buffer.from(s);
  return pick([
    () => { const c = Buffer.from(b); for (let i = 0; i < 1 + int(8); i++) c[int(c.length)] = int(256); return c; },
    () => b.subarray(0, int(b.length)),
    () => Buffer.concat([b, Buffer.from([0xff, 0xfe, 0xc3])]),
    () => Buffer.from(b.toString('latin1').replace(/\t/g, () => pick(['', '\t\t', ' ', '\t']))),
    () => Buffer.concat([Buffer.from('\uFEFF'), b]),
    () => Buffer.concat([b, Buffer.from('x'.repeat(int(1 << 20)))]),
  ])();
};
const safetensors = readFileSync(join(modelDir, 'model.safetensors'));
const weights = readSafetensors(join(modelDir, 'model.safetensors')).tensors;
const torchBin = Buffer.from(torchSaveBytes(weights));
const pdparams = Buffer.from(paddleSaveBytes(weights));
writeFileSync(join(work, 'pairs.tsv'), valid.pairs);
spawnSync(process.execPath, [cli, 'prepare', '--train-set', join(work, 'pairs.tsv'), '--model', modelDir, '--output', join(work, 'prep')]);
const cases: [string, () => string[]][] = [
  ['evaluate-run', () => { writeFileSync(join(work, 'f.run'), mutate(valid.run)); writeFileSync(join(work, 'f.qrels'), mutate(valid.qrels)); return ['evaluate-run', '--run', join(work, 'f.run'), '--qrels', join(work, 'f.qrels')]; }],
  ['evaluate', () => { writeFileSync(join(work, 'f.dev'), mutate(valid.pairs)); writeFileSync(join(work, 'f.res'), mutate(valid.pairs.replace(/\n/g, '\t0.5\n'))); return ['evaluate', '--similar-text-pair-file', join(work, 'f.dev'), '--recall-result-file', join(work, 'f.res'), '--recall-num', '1']; }],
  ['export', () => {
    rmSync(join(work, 'bad'), { recursive: true, force: true });
    spawnSync('cp', ['-r', modelDir, join(work, 'bad')]);
    const target = pick(['model.safetensors', 'config.json', 'tokenizer.json', 'vocab.txt']);
    writeFileSync(join(work, 'bad', target), target === 'model.safetensors' ? mutate(safetensors.subarray(0, 4096)).length % 2 ? mutate(safetensors) : Buffer.concat([mutate(safetensors.subarray(0, 200)), safetensors.subarray(200)]) : mutate(readFileSync(join(modelDir, target))));
    return ['export', '--model', join(work, 'bad'), '--output', join(work, 'bad-out'), '--overwrite'];
  }],
  // hostile checkpoints: the model's weights as torch.save and paddle.save write them, bytes flipped or cut
  ['convert .bin', () => checkpointCase('pytorch_model.bin', torchBin)],
  ['convert .pdparams', () => checkpointCase('model_state.pdparams', pdparams)],
  // hostile prepared folders: the manifest, the row records or the token ids altered
  ['train prepared', () => {
    rmSync(join(work, 'bad-prep'), { recursive: true, force: true });
    spawnSync('cp', ['-r', join(work, 'prep'), join(work, 'bad-prep')]);
    const target = pick(['manifest.json', 'shard-00000.rows', 'shard-00000.tokens']);
    writeFileSync(join(work, 'bad-prep', target), mutate(readFileSync(join(work, 'prep', target))));
    return ['train', '--model', modelDir, '--train-set', join(work, 'bad-prep'), '--save-dir', join(work, 'bad-run'), '--max-steps', '2', '--batch-size', '16', '--overwrite'];
  }],
];

/** A copy of the model folder whose weights are a mutated checkpoint file of the given kind. */
function checkpointCase(file: string, bytes: Buffer): string[] {
  rmSync(join(work, 'bad-ckpt'), { recursive: true, force: true });
  spawnSync('cp', ['-r', modelDir, join(work, 'bad-ckpt')]);
  rmSync(join(work, 'bad-ckpt', 'model.safetensors'));
  // mostly the pickle and headers at the start, sometimes anywhere
  writeFileSync(join(work, 'bad-ckpt', file), rng.next() < 0.5 ? Buffer.concat([mutate(bytes.subarray(0, 2048)), bytes.subarray(2048)]) : mutate(bytes));
  return ['convert', join(work, 'bad-ckpt'), '--output', join(work, 'bad-converted'), '--overwrite'];
}
console.log(`\nbench/fuzz: ${FILES} mutated input files per command`);
console.log(`  ${'command'.padEnd(14)}${'exit 0'.padStart(8)}${'exit 1'.padStart(8)}${'exit 2'.padStart(8)}${'crash'.padStart(8)}`);
let crashes = 0;
for (const [name, make] of cases) {
  const tally = { 0: 0, 1: 0, 2: 0, crash: 0 };
  for (let i = 0; i < FILES; i++) {
    const r = spawnSync(process.execPath, [cli, ...make()], { encoding: 'utf8', timeout: 60_000 });
    const crashed = r.status === null || ![0, 1, 2].includes(r.status) || /\n\s+at /.test(r.stderr);
    if (crashed) { tally.crash++; crashes++; console.error(`  crash: ${name}: status ${r.status} signal ${r.signal}\n${r.stderr.slice(0, 500)}`); } else tally[r.status as 0 | 1 | 2]++;
  }
  console.log(`  ${name.padEnd(14)}${String(tally[0]).padStart(8)}${String(tally[1]).padStart(8)}${String(tally[2]).padStart(8)}${String(tally.crash).padStart(8)}`);
}
console.log(`\ncrashes: HTTP 5xx ${outcomes.get('5xx') ?? 0}, dropped connections ${outcomes.get('connection error') ?? 0}, server died ${!alive}, CLI ${crashes} (target: all 0)`);
rmSync(work, { recursive: true, force: true });
