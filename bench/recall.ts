// bench/recall: the recall side at 100k scale.
//  1. HNSW (ip, M=100, ef=100) vs exact search on a clustered 100k x 256 set: build seconds,
//     queries/s, and the share of the exact top 10 that HNSW returns (target >= 99%).
//  2. Corpus embedding texts/s with the small model (libtorch), on real Chinese texts when
//     ../shared/data is present.
//   npm run bench:recall [-- --size 100000 --queries 1000 --embed 20000]
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readPairs } from '../src/data/pairs.js';
import { ExactIndex } from '../src/vectors/exact.js';
import { HnswIndex } from '../src/vectors/hnsw.js';
import { presetConfig } from '../src/model/config.js';
import { DualEncoder } from '../src/model/dual-encoder.js';
import { BertTokenizer } from '../src/text/bert-tokenizer.js';
import { readVocabTxt } from '../src/text/load-tokenizer.js';
import { libtorchAvailable } from '../src/torch/index.js';
import { Random } from '../src/util/random.js';
import { numberArg, sharedData } from './common.js';

const SIZE = numberArg('size', 100_000), QUERIES = numberArg('queries', 1000), DIM = 256, EMBED = numberArg('embed', 20_000);

function clustered(n: number, clusters: number, rng: Random, centers?: Float32Array[]): { vectors: Float32Array[]; centers: Float32Array[] } {
  const gauss = () => Math.sqrt(-2 * Math.log(rng.next() + 1e-12)) * Math.cos(2 * Math.PI * rng.next());
  const cs = centers ?? Array.from({ length: clusters }, () => Float32Array.from({ length: DIM }, gauss));
  const vectors = Array.from({ length: n }, () => {
    const c = cs[Math.floor(rng.next() * cs.length)]!;
    const v = Float32Array.from(c, (x) => x + 0.7 * gauss());
    let norm = 0;
    for (const x of v) norm += x * x;
    norm = Math.sqrt(norm);
    return v.map((x) => x / norm);
  });
  return { vectors, centers: cs };
}

const seconds = (start: number) => (performance.now() - start) / 1000;
const rng = new Random(1);
const { vectors: corpus, centers } = clustered(SIZE, 1000, rng);
const { vectors: queries } = clustered(QUERIES, 1000, rng, centers);

let t = performance.now();
const exact = new ExactIndex(DIM, SIZE);
exact.add(corpus);
const exactBuild = seconds(t);
t = performance.now();
const truth = exact.search(queries, 10);
const exactSearch = seconds(t);

t = performance.now();
const hnsw = new HnswIndex(DIM, SIZE, { m: 100, efConstruction: 100, ef: 100 });
hnsw.add(corpus);
const hnswBuild = seconds(t);
t = performance.now();
const approx = hnsw.search(queries, 10);
const hnswSearch = seconds(t);
let found = 0;
approx.forEach((list, q) => { const ids = new Set(truth[q]!.map((h) => h.id)); found += list.filter((h) => ids.has(h.id)).length; });

console.log(`bench/recall: ${SIZE} x ${DIM} clustered vectors (1000 clusters), ${QUERIES} queries, top 10`);
console.log(`${''.padEnd(10)}${'build s'.padStart(10)}${'queries/s'.padStart(12)}`);
console.log(`${'exact'.padEnd(10)}${exactBuild.toFixed(2).padStart(10)}${(QUERIES / exactSearch).toFixed(1).padStart(12)}`);
console.log(`${'hnsw'.padEnd(10)}${hnswBuild.toFixed(2).padStart(10)}${(QUERIES / hnswSearch).toFixed(1).padStart(12)}`);
console.log(`ratio hnsw/exact queries/s: ${(exactSearch / hnswSearch).toFixed(1)}x`);
console.log(`hnsw recall of the exact top 10: ${((100 * found) / (QUERIES * 10)).toFixed(2)}% (target >= 99%)`);

const trainFile = join(sharedData, 'zh-sim-pairs', 'train.tsv');
if (!libtorchAvailable() || !existsSync(trainFile)) {
  console.log('corpus embedding: skipped (needs the libtorch addon and ../shared/data)');
} else {
  const tokenizer = new BertTokenizer(readVocabTxt(join(sharedData, 'vocab.txt')));
  const texts = [...new Set(readPairs(trainFile).pairs.flatMap((p) => [p.query, p.positive]))].slice(0, EMBED);
  const model = DualEncoder.random(presetConfig('small', tokenizer.vocabSize, { max_seq_length: 64 }), tokenizer, 1);
  model.embed(texts.slice(0, 256));
  t = performance.now();
  model.embed(texts, 128);
  const perSecond = texts.length / seconds(t);
  console.log(`corpus embedding (small config, libtorch, batch 128, length-sorted): ${perSecond.toFixed(0)} texts/s over ${texts.length} texts; a ${SIZE}-text corpus takes ~${(SIZE / perSecond / 60).toFixed(1)} min`);
}
