// bench/corpus: `inbatch index` at corpus scale, as a user runs it (the CLI in child processes).
//   pipeline  N texts (distinct, made from the shared texts) embedded by a tiny model with 1 and 2
//             workers: texts/s, peak RSS of the command; RSS per text above the index's own bytes
//             from the growth between the two sizes; kill -9 halfway + resume against one run
//   formats   at --format-size texts: hnsw fp32, exact, int8 and binary with rescoring (oversample
//             raised to --recall-target), pgvector through PGlite's socket: build seconds, bytes per
//             text in memory, queries/s, recall of the exact top 10 (measured by index verify)
//   npm run bench:corpus -- [--sizes 100000,1000000] [--workers 1,2] [--config tiny|small]
//                           [--format-size 100000] [--no-pgvector] [--pipeline-only] [--no-resume]
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { once } from 'node:events';
import { readCorpusTexts } from '../src/data/corpus-file.js';
import { CorpusIndex } from '../src/retrieval/corpus-index.js';
import { doneChunkCount } from '../src/retrieval/corpus-chunks.js';
import { PgVectorStore } from '../src/retrieval/pgvector-store.js';
import { NpyRows } from '../src/vectors/npy.js';
import { sampleIds } from '../src/vectors/recall-contract.js';
import { Random } from '../src/util/random.js';
import { repoRoot, sharedData } from './common.js';

const arg = (name: string, fallback: string) => { const i = process.argv.indexOf(`--${name}`); return i >= 0 ? process.argv[i + 1]! : fallback; };
const sizes = arg('sizes', '100000,1000000').split(',').map(Number);
const workerCounts = arg('workers', '1,2').split(',').map(Number);
const config = arg('config', 'tiny');
const formatSize = Number(arg('format-size', '100000'));
const target = arg('recall-target', '0.97');
const work = arg('work', '/tmp/inbatch-bench-corpus');
const cli = join(repoRoot, 'dist', 'src', 'cli', 'main.js');

function run(args: string[], env: NodeJS.ProcessEnv = {}): { seconds: number; err: string; out: string } {
  const t = Date.now();
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`inbatch ${args.join(' ')}: ${r.stderr}`);
  return { seconds: (Date.now() - t) / 1000, err: r.stderr, out: r.stdout };
}

const peakRss = (err: string) => Number(/peak RSS (\d+) MB/.exec(err)?.[1] ?? NaN);

/** n distinct texts: shared texts joined in random pairs (numbered where a pair repeats). */
async function writeCorpus(n: number, path: string): Promise<void> {
  if (existsSync(path)) return;
  const pool = [...new Set([...await readCorpusTexts(join(sharedData, 'lcqmc-retrieval', 'corpus.txt')),
    ...readFileSync(join(sharedData, 'zh-sim-pairs', 'train.tsv'), 'utf8').split('\n').flatMap((l) => l.split('\t')).map((t) => t.trim()).filter(Boolean)])];
  const rng = new Random(5);
  const out = createWriteStream(path);
  for (let i = 0; i < n; i++) {
    const a = pool[Math.floor(rng.next() * pool.length)]!, b = pool[Math.floor(rng.next() * pool.length)]!;
    if (!out.write(`${a}，${b}（${i}）\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

async function killHalfway(args: string[], out: string, chunks: number): Promise<void> {
  const child = spawn(process.execPath, [cli, ...args], { stdio: 'ignore' });
  for (;;) {
    const n = doneChunkCount(join(out, 'chunks'));
    if (n >= chunks / 2 || child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  await once(child, 'exit');
}

async function pipeline(model: string): Promise<void> {
  console.log(`\n## pipeline (${config} model, 64-d, --vectors binary so the index itself is small)\n`);
  console.log('| texts | workers | embed texts/s | wall s | peak RSS MB (of the command, workers apart) |');
  console.log('|---|---|---|---|---|');
  const rss: Record<number, Array<[number, number]>> = Object.fromEntries(workerCounts.map((w) => [w, []]));
  for (const n of sizes) {
    const corpus = join(work, `corpus-${n}.txt`);
    await writeCorpus(n, corpus);
    for (const workers of workerCounts) {
      const out = join(work, `index-${n}-${workers}`);
      rmSync(out, { recursive: true, force: true });
      const r = run(['index', '--model', model, '--corpus-file', corpus, '--output', out, '--vectors', 'binary', '--workers', String(workers), '--quiet', '--chunk-size', '8192']);
      const embed = Number(/embedding ([\d.]+) s/.exec(r.err)![1]);
      console.log(`| ${n} | ${workers} | ${(n / embed).toFixed(0)} | ${r.seconds.toFixed(1)} | ${peakRss(r.err)} |`);
      rss[workers]!.push([n, peakRss(r.err)]);
      rmSync(out, { recursive: true, force: true });
    }
  }
  for (const workers of workerCounts) {
    const list = rss[workers]!;
    if (list.length < 2) continue;
    const [[n0, r0], [n1, r1]] = [list[0]!, list.at(-1)!];
    const perText = ((r1 - r0) * 1024 * 1024) / (n1 - n0);
    console.log(`\nRSS growth ${n0} -> ${n1} texts, ${workers === 1 ? 'one process (the model embeds in it)' : `the parent of ${workers} workers (the pipeline alone)`}: ${perText.toFixed(1)} bytes per text; the binary index holds 8, so ${(perText - 8).toFixed(1)} above the index's own`);
  }
  if (process.argv.includes('--no-resume')) return;
  const n = sizes[0]!, corpus = join(work, `corpus-${n}.txt`), out = join(work, 'resume');
  rmSync(out, { recursive: true, force: true });
  const args = ['index', '--model', model, '--corpus-file', corpus, '--output', out, '--vectors', 'binary', '--quiet', '--chunk-size', '4096'];
  const t = Date.now();
  await killHalfway(args, out, Math.ceil(n / 4096));
  run(args);
  const resumed = (Date.now() - t) / 1000;
  rmSync(out, { recursive: true, force: true });
  const once_ = run(args).seconds;
  console.log(`\nkill -9 at half the chunks + rerun: ${resumed.toFixed(1)} s against ${once_.toFixed(1)} s uninterrupted (${(resumed / once_).toFixed(2)}x, ${n} texts)`);
  rmSync(out, { recursive: true, force: true });
}

async function queriesPerSecond(search: (q: Float32Array[]) => unknown, queries: Float32Array[]): Promise<number> {
  const t = performance.now();
  for (let i = 0; i < queries.length; i += 10) await search(queries.slice(i, i + 10));
  return queries.length / ((performance.now() - t) / 1000);
}

function verifyRecall(args: string[]): string {
  const r = spawnSync(process.execPath, [cli, 'index', 'verify', ...args, '--queries', '200'], { encoding: 'utf8' });
  return /recall of the exact top 10: ([\d.]+ \[[\d.]+, [\d.]+\])/.exec(r.stdout)?.[1] ?? `? (${r.stdout}${r.stderr})`;
}

async function formats(model: string): Promise<void> {
  const corpus = join(work, `corpus-${formatSize}.txt`);
  await writeCorpus(formatSize, corpus);
  console.log(`\n## formats (${formatSize} texts, ${config} model, 64-d; recall of the exact top 10 on 200 fresh pseudo-queries by index verify)\n`);
  console.log('| store | build s (after embedding) | bytes/text in memory | queries/s | recall@10 of exact [95% CI] |');
  console.log('|---|---|---|---|---|');
  const base = join(work, 'formats-base');
  rmSync(base, { recursive: true, force: true });
  run(['index', '--model', model, '--corpus-file', corpus, '--output', base, '--exact', '--quiet']);
  const floats = new NpyRows(join(base, 'vectors.npy'));
  const queries = sampleIds(floats.rows, 200, 77).map((id) => floats.row(id));
  floats.close();
  for (const [name, flags] of [['hnsw fp32 (M 100)', []], ['hnsw fp16', ['--vectors', 'float16']], ['exact', ['--exact']], ['int8 + rescore', ['--vectors', 'int8', '--recall-target', target]], ['binary + rescore', ['--vectors', 'binary', '--recall-target', target]]] as const) {
    // float32 rows reuse the embeddings (only the search structure is built); float16 is its own folder
    const dir = flags[1] === 'float16' ? join(work, 'formats-fp16') : base;
    const r = run(['index', '--model', model, '--corpus-file', corpus, '--output', dir, '--quiet', ...flags]);
    const corpusIndex = CorpusIndex.load(dir);
    const qps = await queriesPerSecond((q) => corpusIndex.index.search(q, 10), queries);
    const manifest = JSON.parse(readFileSync(join(dir, 'corpus.json'), 'utf8'));
    const setting = Object.entries(manifest.contract.setting).map(([k, v]) => `${k} ${v}`).join(', ');
    console.log(`| ${name}${setting ? ` (${setting})` : ''} | ${r.seconds.toFixed(1)} | ${manifest.memory_bytes_per_text} | ${qps.toFixed(0)} | ${verifyRecall(['--index', dir])} |`);
  }
  if (process.argv.includes('--no-pgvector')) return;
  const server = spawn(process.execPath, [join(repoRoot, 'scripts', 'pglite-server.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve) => createInterface({ input: server.stdout! }).on('line', (l) => { const m = /:(\d+)$/.exec(l); if (m) resolve(Number(m[1])); }));
  try {
    const url = `postgres://postgres@127.0.0.1:${port}/postgres?table=bench`;
    const r = run(['index', '--model', model, '--corpus-file', corpus, '--store', url, '--work-dir', join(work, 'pg-work'), '--quiet']);
    const store = await PgVectorStore.connect(url);
    await store.open();
    const qps = await queriesPerSecond((q) => store.search(q, 10), queries);
    await store.close();
    console.log(`| pgvector via PGlite socket (HNSW m 32, ef_construction 200, ef_search 100) | ${r.seconds.toFixed(1)} (load + index + embedding) | in the server | ${qps.toFixed(0)} | ${verifyRecall(['--store', url])} |`);
  } finally {
    server.kill('SIGTERM');
    rmSync(join(work, 'pg-work'), { recursive: true, force: true });
  }
}

const model = join(work, config);
if (!existsSync(join(sharedData, 'vocab.txt'))) {
  console.error('bench/corpus needs ../shared/data (vocab.txt, lcqmc-retrieval, zh-sim-pairs)');
  process.exit(1);
}
if (!existsSync(model)) run(['init', '--config', config, '--vocab', join(sharedData, 'vocab.txt'), '--output-emb-size', '64', '--max-seq-length', '64', '--save-dir', model]);
console.log(`# bench/corpus ${new Date().toISOString().slice(0, 10)}, ${(await import('node:os')).cpus().length} cores`);
if (!process.argv.includes('--formats-only')) await pipeline(model);
if (!process.argv.includes('--pipeline-only')) await formats(model);
