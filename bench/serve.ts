// bench/serve: load tests of POST /embed and POST /v1/embeddings (autocannon, concurrency 32, 60 s
// by default) on the small model exported to ONNX: requests/s, p50/p99 latency, errors, RSS
// before/after. Then sentences/s of Embedder.embed (onnxruntime fp32, fp16, q8) against the same
// model in libtorch, same run, and the precisions' parity.
//   npm run bench:serve [-- --seconds 60 --connections 32]
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { readPairs } from '../src/data/pairs.js';
import { exportModel } from '../src/export/export-model.js';
import { vectorDrift } from '../src/eval/vector-drift.js';
import { Embedder } from '../src/infer/embedder.js';
import { presetConfig } from '../src/model/config.js';
import { loadModel, saveModel } from '../src/model/folder.js';
import { DualEncoder } from '../src/model/dual-encoder.js';
import { BertTokenizer } from '../src/text/bert-tokenizer.js';
import { readVocabTxt } from '../src/text/load-tokenizer.js';
import { libtorchAvailable } from '../src/torch/index.js';
import { numberArg, repoRoot, sharedData } from './common.js';

const SECONDS = numberArg('seconds', 60), CONNECTIONS = numberArg('connections', 32);
const vocab = join(sharedData, 'vocab.txt'), trainFile = join(sharedData, 'zh-sim-pairs', 'train.tsv');
if (!existsSync(vocab) || !existsSync(trainFile) || !libtorchAvailable()) {
  console.error('bench/serve needs ../shared/data and the libtorch addon (to create the small model)');
  process.exit(1);
}
const work = mkdtempSync(join(tmpdir(), 'inbatch-bench-serve-'));
const tokenizer = new BertTokenizer(readVocabTxt(vocab));
const modelDir = join(work, 'small'), onnxDir = join(work, 'onnx');
saveModel(DualEncoder.random(presetConfig('small', tokenizer.vocabSize, { max_seq_length: 64 }), tokenizer, 1), modelDir);
exportModel(modelDir, onnxDir, { fp16: true, quantize: true });
const texts = [...new Set(readPairs(trainFile).pairs.slice(0, 3000).map((p) => p.query))];

// 1. Embedder (onnxruntime) vs the libtorch model, same texts, same batch size
const torchModel = loadModel(modelDir).model;
const embedder = await Embedder.load(onnxDir, { batchSize: 64 });
const sample = texts.slice(0, 2000);
torchModel.embed(sample.slice(0, 128), 64);
await embedder.embed(sample.slice(0, 128));
let t = performance.now();
const torchVectors = torchModel.embed(sample, 64);
const torchRate = sample.length / ((performance.now() - t) / 1000);
t = performance.now();
const ortVectors = await embedder.embed(sample);
const ortRate = sample.length / ((performance.now() - t) / 1000);
const fp16 = await Embedder.load(onnxDir, { precision: 'fp16', batchSize: 64 });
await fp16.embed(sample.slice(0, 128));
t = performance.now();
const fp16Vectors = await fp16.embed(sample);
const fp16Rate = sample.length / ((performance.now() - t) / 1000);
const q8 = await Embedder.load(onnxDir, { precision: 'q8', batchSize: 64 });
await q8.embed(sample.slice(0, 128));
t = performance.now();
const q8Vectors = await q8.embed(sample);
const q8Rate = sample.length / ((performance.now() - t) / 1000);

function drift(a: Float32Array[], b: Float32Array[]) {
  const { maxAbs, minCos } = vectorDrift(a, b);
  return `max abs diff ${maxAbs.toExponential(2)}, min cosine ${minCos.toFixed(7)}`;
}

// 2. load test against the real server process
const server = spawn(process.execPath, [join(repoRoot, 'dist', 'src', 'cli', 'main.js'), 'serve', '--model', onnxDir, '--port', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
const address = await new Promise<string>((resolve, reject) => {
  let err = '';
  server.stderr.on('data', (d) => { err += d; const m = /listening on (http:\/\/\S+)/.exec(err); if (m) resolve(m[1]!); });
  server.on('exit', () => reject(new Error(err)));
});
const rss = () => Number(readFileSync(`/proc/${server.pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)![1]) * 1024;
const bodies = Array.from({ length: 64 }, (_, i) => JSON.stringify({ texts: texts.slice(i * 4, i * 4 + 4) }));
const openaiBodies = Array.from({ length: 64 }, (_, i) => JSON.stringify({ input: texts.slice(i * 4, i * 4 + 4), model: 'small' }));
let n = 0;
const load = (duration: number, path = '/embed', payloads = bodies) => autocannon({
  url: `${address}${path}`, connections: CONNECTIONS, duration,
  requests: [{ method: 'POST', headers: { 'content-type': 'application/json' }, setupRequest: (req) => ({ ...req, body: payloads[n++ % payloads.length] }) }],
});
// warm up at full concurrency: onnxruntime's arena and V8's heap reach their working size first
await load(10);
const rssBefore = rss();
const result = await load(SECONDS);
const rssAfter = rss();
const openai = await load(SECONDS, '/v1/embeddings', openaiBodies);
server.kill('SIGTERM');

console.log(`bench/serve: small config (4 layers, 256 hidden) exported to ONNX, onnxruntime-node CPU`);
console.log(`Embedder.embed fp32: ${ortRate.toFixed(0)} sentences/s; fp16: ${fp16Rate.toFixed(0)} sentences/s; q8: ${q8Rate.toFixed(0)} sentences/s; libtorch model: ${torchRate.toFixed(0)} sentences/s`);
console.log(`ratio onnxruntime fp32 / libtorch: ${(ortRate / torchRate).toFixed(2)}; q8 / fp32: ${(q8Rate / ortRate).toFixed(2)}`);
console.log(`parity on ${sample.length} texts: onnxruntime fp32 vs libtorch ${drift(ortVectors, torchVectors)}; fp16 vs fp32 ${drift(fp16Vectors, ortVectors)}; q8 vs fp32 ${drift(q8Vectors, ortVectors)}`);
console.log(`POST /embed, 4 texts per request, ${CONNECTIONS} connections, ${SECONDS} s: ${result.requests.average.toFixed(1)} requests/s, ` +
  `latency p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, errors ${result.errors}, non-2xx ${result.non2xx}, timeouts ${result.timeouts}`);
console.log(`POST /v1/embeddings (OpenAI body), 4 texts per request, ${CONNECTIONS} connections, ${SECONDS} s: ${openai.requests.average.toFixed(1)} requests/s, ` +
  `latency p50 ${openai.latency.p50} ms, p99 ${openai.latency.p99} ms, errors ${openai.errors}, non-2xx ${openai.non2xx}, timeouts ${openai.timeouts}`);
console.log(`server RSS before ${(rssBefore / 1e6).toFixed(0)} MB, after ${(rssAfter / 1e6).toFixed(0)} MB (growth ${((100 * (rssAfter - rssBefore)) / rssBefore).toFixed(1)}%, limit 20%)`);
