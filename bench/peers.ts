// bench/peers: one exported folder through four ways of running it, same intra-op threads, same inputs:
//   inbatch Embedder fp32 and q8     (tokenise, sort by length, batch, onnxruntime-node)
//   transformers.js pipeline          (pipeline('feature-extraction', dir), its tokenizer, pooling 'cls')
//   raw onnxruntime-node              (session.run on inputs tokenised beforehand: the engine's floor)
// sentences/s and tokens/s (the median of 5 runs) for short texts (LCQMC questions) and long ones (CMRC passages, cut at
// max_seq_length), batch 1 and 32, each as a ratio to raw onnxruntime-node in the same run; parity is the
// min cosine to the Embedder's fp32 vectors over every input.
//   npm run bench:peers [-- --threads 2 --max-seq-length 128]
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { exportModel } from '../src/export/export-model.js';
import { Embedder } from '../src/infer/embedder.js';
import { presetConfig } from '../src/model/config.js';
import { padBatch } from '../src/text/collate.js';
import { BertTokenizer } from '../src/text/bert-tokenizer.js';
import { writeRandomModel } from '../test/helpers.js';
import { numberArg, sharedData } from './common.js';

const threads = numberArg('threads', 2);
const maxLen = numberArg('max-seq-length', 128);
const vocabFile = join(sharedData, 'vocab.txt');
if (!existsSync(vocabFile) || !existsSync(join(sharedData, 'cmrc-trial-retrieval', 'corpus.txt'))) {
  console.error('bench/peers needs ../shared/data (vocab.txt, lcqmc-retrieval, cmrc-trial-retrieval)');
  process.exit(1);
}
const lines = (file: string) => readFileSync(join(sharedData, file), 'utf8').split('\n').map((l) => l.trim()).filter(Boolean);
const sets = { short: lines('lcqmc-retrieval/corpus.txt').slice(0, 512), long: lines('cmrc-trial-retrieval/corpus.txt').slice(0, 96) };

// the small preset (4 layers, hidden 256), random weights: speed and parity do not depend on training
const vocab = new Map(lines('vocab.txt').map((t, i) => [t, i]));
const tokenizer = new BertTokenizer(vocab);
const work = mkdtempSync(join(tmpdir(), 'inbatch-bench-peers-'));
writeRandomModel(join(work, 'model'), presetConfig('small', tokenizer.vocabSize, { output_emb_size: 256, max_seq_length: maxLen, pooling: 'cls' }), tokenizer, 7);
const out = join(work, 'onnx');
exportModel(join(work, 'model'), out, { fp16: false, quantize: true });

type Runner = (texts: string[]) => Promise<Float32Array[]>;
const chunks = <T>(xs: T[], n: number) => Array.from({ length: Math.ceil(xs.length / n) }, (_, i) => xs.slice(i * n, (i + 1) * n));

async function inbatch(precision: 'fp32' | 'q8', batch: number): Promise<{ run: Runner; close(): Promise<void> }> {
  const e = await Embedder.load(out, { precision, threads, batchSize: batch });
  return {
    run: async (texts) => {
      const vectors: Float32Array[] = [];
      for (const c of chunks(texts, batch)) vectors.push(...await e.embed(c)); // one call at a time, as the others
      return vectors;
    },
    close: () => e.release(),
  };
}

async function transformersJs(): Promise<{ run: Runner; close(): Promise<void> }> {
  const { pipeline, env } = await import('@huggingface/transformers');
  env.allowRemoteModels = false;
  env.localModelPath = dirname(out) + '/';
  const extractor = await pipeline('feature-extraction', basename(out), { dtype: 'fp32', session_options: { intraOpNumThreads: threads, interOpNumThreads: 1 } });
  return {
    run: async (texts) => {
      const t = await extractor(texts, { pooling: 'cls', normalize: true });
      const flat = t.data as Float32Array, dim = t.dims[1]!;
      return texts.map((_, i) => flat.slice(i * dim, (i + 1) * dim));
    },
    close: () => extractor.dispose(),
  };
}

async function rawOrt(batch: number): Promise<{ prepare(texts: string[]): () => Promise<Float32Array[]>; close(): Promise<void> }> {
  const session = await ort.InferenceSession.create(join(out, 'onnx', 'model.onnx'), { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
  return {
    prepare: (texts) => {
      const feeds = chunks(texts.map((t) => tokenizer.encode(t, maxLen)), batch).map((c) => {
        const b = padBatch(c, tokenizer.padId);
        const dims = [b.batchSize, b.seqLength];
        return { input_ids: new ort.Tensor('int64', b.inputIds, dims), attention_mask: new ort.Tensor('int64', b.attentionMask, dims), token_type_ids: new ort.Tensor('int64', b.tokenTypeIds, dims) };
      });
      return async () => {
        const vectors: Float32Array[] = [];
        for (const f of feeds) {
          const e = (await session.run(f, ['embeddings'])).embeddings!;
          const dim = e.dims[1]!;
          for (let i = 0; i < e.dims[0]!; i++) vectors.push((e.data as Float32Array).slice(i * dim, (i + 1) * dim));
        }
        return vectors;
      };
    },
    close: () => session.release(),
  };
}

const cosine = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i]!, 0);
/** The median of 5 timed runs after a warm-up (the first run allocates). */
async function timed(run: () => Promise<Float32Array[]>): Promise<{ seconds: number; vectors: Float32Array[] }> {
  let vectors = await run();
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    vectors = await run();
    times.push((performance.now() - started) / 1000);
  }
  return { seconds: times.sort((a, b) => a - b)[2]!, vectors };
}

const rows: string[] = [];
for (const [setName, texts] of Object.entries(sets)) {
  const tokens = texts.reduce((s, t) => s + tokenizer.encode(t, maxLen).inputIds.length, 0);
  for (const batch of [1, 32]) {
    const reference = await inbatch('fp32', batch);
    const referenceVectors = await reference.run(texts);
    const raw = await rawOrt(batch);
    const floor = await timed(raw.prepare(texts));
    await raw.close();
    const results: [string, { seconds: number; vectors: Float32Array[] }][] = [['raw onnxruntime-node (pre-tokenised)', floor]];
    results.push(['inbatch Embedder fp32', await timed(() => reference.run(texts))]);
    await reference.close();
    const q8 = await inbatch('q8', batch);
    results.push(['inbatch Embedder q8', await timed(() => q8.run(texts))]);
    await q8.close();
    const tjs = await transformersJs();
    results.push(['transformers.js pipeline', await timed(async () => {
      const vectors: Float32Array[] = [];
      for (const c of chunks(texts, batch)) vectors.push(...await tjs.run(c));
      return vectors;
    })]);
    await tjs.close();
    for (const [name, r] of results) {
      const minCos = Math.min(...r.vectors.map((v, i) => cosine(v, referenceVectors[i]!)));
      rows.push(`| ${setName} | ${batch} | ${name} | ${(texts.length / r.seconds).toFixed(1)} | ${(tokens / r.seconds).toFixed(0)} | ${(floor.seconds / r.seconds).toFixed(2)} | ${minCos.toFixed(5)} |`);
    }
  }
}
console.log(`bench/peers: the small config (4 layers, hidden 256, 256-d, max_seq_length ${maxLen}), ${threads} intra-op thread(s); short = ${sets.short.length} LCQMC texts, long = ${sets.long.length} CMRC passages`);
console.log('| texts | batch | runner | sentences/s | tokens/s | x raw onnxruntime | min cos vs Embedder fp32 |');
console.log('|---|---|---|---|---|---|---|');
for (const r of rows) console.log(r);
writeFileSync(join(work, 'peers.md'), rows.join('\n') + '\n');
