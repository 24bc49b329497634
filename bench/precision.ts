// bench/precision: fp32 vs fp16 vs q8 (dynamic int8) exports of one model, same run: sentences/s of
// Embedder.embed, agreement with fp32 (min cosine over 200 texts of the shared pairs), and PaddleNLP
// Recall@1/10 on ../shared/data/lcqmc-retrieval with exact search over each precision's vectors.
//   npm run bench:precision -- --model runs/small-zh/model_final
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCorpusTexts } from '../src/data/corpus-file.js';
import { readDevPairs } from '../src/data/paddle-recall-files.js';
import { successAtN } from '../src/eval/success-at-n.js';
import { exportModel } from '../src/export/export-model.js';
import { Embedder } from '../src/infer/embedder.js';
import { ExactIndex } from '../src/vectors/exact.js';
import { sharedData } from './common.js';

const arg = (name: string) => { const i = process.argv.indexOf(`--${name}`); return i >= 0 ? process.argv[i + 1] : undefined; };
const modelDir = arg('model');
const lcqmc = join(sharedData, 'lcqmc-retrieval');
if (!modelDir || !existsSync(join(lcqmc, 'dev.tsv'))) {
  console.error('bench/precision needs --model DIR (a trained inbatch model) and ../shared/data/lcqmc-retrieval');
  process.exit(1);
}
const out = mkdtempSync(join(tmpdir(), 'inbatch-bench-precision-'));
exportModel(modelDir, out, { fp16: true, quantize: true });
const dev = readDevPairs(join(lcqmc, 'dev.tsv'));
const corpus = await readCorpusTexts(join(lcqmc, 'corpus.txt'));
const sample = corpus.filter((_, i) => i % Math.floor(corpus.length / 200) === 0).slice(0, 200);

const rows: string[] = [];
let reference: Float32Array[] | undefined;
let referenceRate = 0;
for (const precision of ['fp32', 'fp16', 'q8'] as const) {
  const embedder = await Embedder.load(out, { precision, threads: 2 });
  await embedder.embed(corpus.slice(0, 256)); // warm-up
  const started = performance.now();
  const corpusVectors = await embedder.embed(corpus);
  const rate = corpus.length / ((performance.now() - started) / 1000);
  const sampleVectors = await embedder.embed(sample);
  reference ??= sampleVectors;
  if (precision === 'fp32') referenceRate = rate;
  const minCos = Math.min(...sampleVectors.map((v, i) => v.reduce((s, x, k) => s + x * reference![i]![k]!, 0)));
  const index = new ExactIndex(embedder.dim, corpus.length);
  index.add(corpusVectors);
  const hits = index.search(await embedder.embed(dev.map((d) => d.query)), 10).map((list) => list.map((h) => corpus[h.id]!));
  const table = successAtN(dev.map((d) => new Set([d.gold])), hits, [1, 10]);
  rows.push(`| ${precision} | ${rate.toFixed(0)} | ${(rate / referenceRate).toFixed(2)} | ${minCos.toFixed(5)} | ${table.successPct[1]!.toFixed(3)} | ${table.successPct[10]!.toFixed(3)} |`);
  await embedder.release();
}
console.log(`bench/precision: ${modelDir}, ${corpus.length} corpus texts embedded per precision (2 threads), ${dev.length} queries, exact search`);
console.log('| precision | sentences/s | x fp32 | min cos vs fp32 (200 texts) | Recall@1 | Recall@10 |');
console.log('|---|---|---|---|---|---|');
for (const r of rows) console.log(r);
