// bench/fusion: dense, BM25 and hybrid (the default: --hybrid-weights auto) on development sets
// where one retriever dominates and where they are close, with paired-bootstrap 95 % intervals.
// Nothing here is fitted on the labels reported: the fusion sees only calibration queries (pseudo-
// queries cut from each corpus, or the model's training pairs), never the test queries.
//   lcqmc           the shared LCQMC set (question -> question; dense and BM25 close)
//   poem-line       a line of a held-out Tang poem -> the whole poem, among 5,000 poems (BM25-heavy)
//   couplet         a couplet's first line -> its second line, held-out poems (dense-heavy after training)
//   npm run bench:fusion -- --lcqmc-model runs/small-zh/model_final --poetry-model runs/demo/model/model_final --poetry-pairs runs/demo/train.tsv
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readDevPairs } from '../src/data/paddle-recall-files.js';
import { readCorpusTexts } from '../src/data/corpus-file.js';
import { buildPoetryDataset } from '../src/demo/poetry-dataset.js';
import { pairedBootstrap } from '../src/eval/bootstrap.js';
import { loadModel } from '../src/model/folder.js';
import { CorpusIndex } from '../src/retrieval/corpus-index.js';
import { corpusCalibration, fitFusion, pairsFitCorpus, sampleCalibrationPairs, describeFusion, DEFAULT_CALIBRATION } from '../src/retrieval/fusion-calibration.js';
import { DEFAULT_HYBRID, type HybridOptions, type RetrieverKind } from '../src/retrieval/retriever.js';
import { withBatchSize } from '../src/retrieval/text-embedder.js';
import { Random } from '../src/util/random.js';
import { sharedData } from './common.js';

const arg = (name: string) => { const i = process.argv.indexOf(`--${name}`); return i >= 0 ? process.argv[i + 1] : undefined; };
const lcqmcModel = arg('lcqmc-model'), poetryModel = arg('poetry-model'), poetryPairs = arg('poetry-pairs');
if (!lcqmcModel || !poetryModel || !existsSync(join(sharedData, 'lcqmc-retrieval'))) {
  console.error('bench/fusion needs --lcqmc-model DIR, --poetry-model DIR (inbatch demo\'s model) and ../shared/data');
  process.exit(1);
}

interface DevSet { name: string; queries: string[]; corpus: string[]; gold: number[]; model: string; trainingPairs?: string }

async function lcqmc(): Promise<DevSet> {
  const dir = join(sharedData, 'lcqmc-retrieval');
  const dev = readDevPairs(join(dir, 'dev.tsv'));
  const corpus = await readCorpusTexts(join(dir, 'corpus.txt'));
  const at = new Map(corpus.map((t, i) => [t, i]));
  return { name: 'lcqmc', queries: dev.map((d) => d.query), corpus, gold: dev.map((d) => at.get(d.gold)!), model: lcqmcModel!, trainingPairs: join(sharedData, 'zh-sim-pairs', 'train.tsv') };
}

function poetrySets(): DevSet[] {
  const data = buildPoetryDataset(30000, 500, 7); // inbatch demo's defaults: its model never saw these 500 poems
  const random = new Random(11);
  const poemText = (p: { first: string; second: string }[]) => p.map((c) => `${c.first}，${c.second}。`).join('');
  // poem-line: one line of each held-out poem -> the whole poem, among them and 4,500 other texts:
  // distractor "poems" of four training couplets each (the model trained on their couplets, never on these texts)
  const held = data.devPoems.filter((p) => p.length >= 2);
  const distractors: string[] = [];
  for (let i = 0; i + 4 <= data.train.length && distractors.length < 4500; i += 4) distractors.push(data.train.slice(i, i + 4).map((c) => `${c.first}，${c.second}。`).join(''));
  const lineQueries = held.map((p) => { const c = p[Math.floor(random.next() * p.length)]!; return random.next() < 0.5 ? c.first : c.second; });
  // couplet: first line -> second line, the corpus every held-out second line
  const seconds = [...new Set(data.dev.map((c) => c.second))];
  const at = new Map(seconds.map((s, i) => [s, i]));
  return [
    { name: 'poem-line', queries: lineQueries, corpus: [...held.map(poemText), ...distractors], gold: held.map((_, i) => i), model: poetryModel!, trainingPairs: poetryPairs },
    { name: 'couplet', queries: data.dev.map((c) => c.first), corpus: seconds, gold: data.dev.map((c) => at.get(c.second)!), model: poetryModel!, trainingPairs: poetryPairs },
  ];
}

const CUTOFFS = [1, 10, 50];

/** Per query: hit@1, hit@10, hit@50 (0/100) and ndcg@10 (one relevant text: 1/log2(rank+2)). */
function perQuery(rankings: { id: number }[][], gold: number[]): Record<string, number[]> {
  const out: Record<string, number[]> = { 'Recall@1': [], 'Recall@10': [], 'Recall@50': [], 'ndcg@10': [] };
  rankings.forEach((list, q) => {
    const rank = list.findIndex((h) => h.id === gold[q]);
    for (const k of CUTOFFS) out[`Recall@${k}`]!.push(rank >= 0 && rank < k ? 100 : 0);
    out['ndcg@10']!.push(rank >= 0 && rank < 10 ? 1 / Math.log2(rank + 2) : 0);
  });
  return out;
}

const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
console.log(`bench/fusion: dense, bm25 and hybrid (auto) on development sets, ${new Date().toISOString().slice(0, 10)}; 95% paired-bootstrap intervals (2,000 resamples, seed 1)`);
for (const set of [await lcqmc(), ...poetrySets()]) {
  const model = loadModel(set.model).model;
  const embedder = withBatchSize(model, 128);
  const index = (await CorpusIndex.fromTexts(embedder, set.corpus, { kind: 'exact', hnsw: { m: 16, efConstruction: 100, ef: 100 } })).withLexical();
  const calibration = { ...DEFAULT_CALIBRATION };
  const pseudo = corpusCalibration(index.size, (id) => index.textOf(id), calibration);
  const fit = async (queries: typeof pseudo, source: string) => fitFusion(embedder, index, queries, source, { k1: 1.2, b: 0.75 }, calibration);
  const pseudoFit = await fit(pseudo, 'pseudo-queries cut from the corpus');
  // what `inbatch train` would have stored in the model folder: a sample of its training pairs, used when they are of the corpus's kind
  const training = set.trainingPairs ? await sampleCalibrationPairs(set.trainingPairs, calibration.queries, calibration.seed) : undefined;
  const kind = training ? pairsFitCorpus(training, index, calibration.seed) : undefined;
  const defaultFit = training && kind!.fits ? await fit(training, 'the model\'s training pairs') : pseudoFit;
  const trainingFit = training && !kind!.fits ? await fit(training, 'the model\'s training pairs (forced)') : undefined;
  const runs: [string, RetrieverKind, HybridOptions][] = [
    ['dense', 'dense', DEFAULT_HYBRID], ['bm25', 'bm25', DEFAULT_HYBRID],
    ['hybrid (auto, the default)', defaultFit.retriever, { ...defaultFit.hybrid, depth: 100 }],
    ...(defaultFit !== pseudoFit ? [['hybrid (auto, pseudo-queries only)', pseudoFit.retriever, { ...pseudoFit.hybrid, depth: 100 }] as [string, RetrieverKind, HybridOptions]] : []),
    ...(trainingFit ? [['hybrid (auto, training pairs forced)', trainingFit.retriever, { ...trainingFit.hybrid, depth: 100 }] as [string, RetrieverKind, HybridOptions]] : []),
    ['hybrid (RRF 1,1)', 'hybrid', DEFAULT_HYBRID],
  ];
  const scores: Record<string, Record<string, number[]>> = {};
  for (const [label, retriever, hybrid] of runs) scores[label] = perQuery(await index.search(set.queries, 50, { retriever, embedder, hybrid }), set.gold);
  console.log(`\n${set.name}: ${set.queries.length} queries, ${set.corpus.length} texts`);
  if (kind) console.log(`training positives: median ${kind.pairsMedian} characters, corpus texts: median ${kind.corpusMedian}: ${kind.fits ? 'of the corpus\'s kind, the default calibrates on them' : 'not of the corpus\'s kind, the default calibrates on pseudo-queries'}`);
  console.log(`default: ${describeFusion(defaultFit)}`);
  if (defaultFit !== pseudoFit) console.log(`pseudo-queries only: ${describeFusion(pseudoFit)}`);
  if (trainingFit) console.log(`training pairs forced: ${describeFusion(trainingFit)}`);
  console.log(`| retriever | ${Object.keys(scores.dense!).join(' | ')} |\n|---|${Object.keys(scores.dense!).map(() => '---').join('|')}|`);
  for (const [label, s] of Object.entries(scores)) console.log(`| ${label} | ${Object.entries(s).map(([m, v]) => (m === 'ndcg@10' ? mean(v).toFixed(4) : mean(v).toFixed(2))).join(' | ')} |`);
  const better = mean(scores.dense!['Recall@10']!) >= mean(scores.bm25!['Recall@10']!) ? 'dense' : 'bm25';
  for (const against of ['dense', 'bm25']) {
    const cells = Object.keys(scores.dense!).map((m) => {
      const d = pairedBootstrap(scores[against]![m]!, scores['hybrid (auto, the default)']![m]!);
      const f = (v: number) => v.toFixed(m === 'ndcg@10' ? 4 : 2);
      return `${d.difference >= 0 ? '+' : ''}${f(d.difference)} [${f(d.low)}, ${f(d.high)}]${d.significant ? ' *' : ''}`;
    });
    console.log(`| default - ${against}${against === better ? ' (the better)' : ''} | ${cells.join(' | ')} |`);
  }
  model.dispose();
}
console.log('\n* the 95% interval excludes 0 (significant); Recall@N in % of queries, ndcg@10 in [0, 1]');
