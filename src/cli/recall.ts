// inbatch recall: PaddleNLP's recall.py: embed the corpus, index it, and write the top
// recall-num texts of every dev query as query<TAB>text<TAB>score. With --retriever bm25 or
// hybrid the lexical index ranks (alone, or fused with the dense ranking by RRF); the index
// folder always holds both, so serve can use either.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Option } from '@commander-js/extra-typings';
import { formatTrecRun } from '../data/beir-files.js';
import { readCorpusTexts } from '../data/corpus-file.js';
import { formatRecallRows, readDevPairs, type DevPair } from '../data/paddle-recall-files.js';
import type { Run } from '../eval/trec-metrics.js';
import { Bm25Index } from '../lexical/bm25-index.js';
import { arrayTexts, CorpusIndex } from '../retrieval/corpus-index.js';
import { parseStoreUrl, PgVectorStore } from '../retrieval/pgvector-store.js';
import { DenseRetriever } from '../retrieval/retriever.js';
import { EmbeddingCache } from '../retrieval/embedding-cache.js';
import { Bm25Retriever } from '../retrieval/retriever.js';
import type { Hit } from '../vectors/topk.js';
import { writeFileAtomic } from '../util/atomic.js';
import type { Command } from './command.js';
import {
  anyModelOption, apiKeyOption, documentPrefixOption, endpointModelOption, poolingOption, queryPrefixOption, dimensionsOption, allowUntrainedDimensionsOption, bm25BOption, bm25K1Option, embedBatchOption, fusionDepthOption, hnswEfOption, hnswMOption, calibrationPairsOption, calibrationQueriesOption, calibrationSeedOption, fusionMethodOption, hybridWeightsOption, intIn, maxSeqLengthOption,
  pathValue, retrieverOption, rrfKOption, UsageError, paddleBaseOption,
} from './flags.js';
import { isEndpoint } from '../infer/endpoint.js';
import { chooseRetriever, saveFit } from './fusion-choice.js';
import { loadAnyEmbedder, type AnyModelFlags } from './model-flags.js';

export function addRecallCommand(program: Command): void {
  program.command('recall')
    .description('Embed a corpus, index it (HNSW or --exact, plus BM25), and write the top recall-num texts for every query.')
    .addOption(anyModelOption())
    .addOption(poolingOption()).addOption(queryPrefixOption()).addOption(dimensionsOption()).addOption(allowUntrainedDimensionsOption()).addOption(documentPrefixOption()).addOption(apiKeyOption()).addOption(endpointModelOption())
    .addOption(paddleBaseOption())
    .addOption(new Option('--corpus-file <file>', 'one text per line (the first tab column)').argParser(pathValue))
    .addOption(new Option('--index <dir>', 'or a folder written by inbatch index with this model (nothing is embedded but the queries)').argParser(pathValue))
    .addOption(new Option('--store <url>', 'or a pgvector table written by inbatch index: postgres://user@host:port/db?table=NAME[&ef_search=N] (dense only)'))
    .addOption(new Option('--similar-text-pair-file <file>', 'query<TAB>gold text per line (the queries are recalled)').argParser(pathValue).makeOptionMandatory())
    .addOption(new Option('--recall-result-dir <dir>', 'output folder (results, embeddings, index)').argParser(pathValue).default('recall_result_dir'))
    .addOption(new Option('--recall-result-file <name>', 'query<TAB>text<TAB>score lines, inside --recall-result-dir').argParser(pathValue).default('recall_result.txt'))
    .addOption(new Option('--recall-num <n>', 'texts recalled per query').argParser(intIn(1, 10000)).default(50))
    .addOption(retrieverOption()).addOption(rrfKOption()).addOption(hybridWeightsOption()).addOption(fusionMethodOption()).addOption(fusionDepthOption())
    .addOption(calibrationPairsOption()).addOption(calibrationQueriesOption()).addOption(calibrationSeedOption()).addOption(bm25K1Option()).addOption(bm25BOption())
    .addOption(new Option('--trec-run <file>', 'also write a TREC run (qid = the pair\'s 1-based position, docid = the corpus text\'s 1-based position) and FILE.qrels').argParser(pathValue))
    .addOption(hnswMOption())
    .addOption(hnswEfOption())
    .addOption(new Option('--exact', 'brute-force inner-product search instead of HNSW').default(false))
    .addOption(embedBatchOption())
    .addOption(maxSeqLengthOption())
    .addOption(new Option('--reuse-embeddings', 'reuse corpus_embeddings.f32 when model and corpus are unchanged').default(false))
    .action(async (f) => {
      if ([f.corpusFile, f.index, f.store].filter((x) => x !== undefined).length !== 1) throw new UsageError('give exactly one of --corpus-file, --index and --store');
      if (f.store && f.retriever !== 'dense') throw new UsageError('--store ranks with the dense retriever only (the table holds no BM25 index); use --index for bm25 or hybrid');
      for (const file of [f.corpusFile ?? f.index, f.similarTextPairFile]) if (file !== undefined && !existsSync(file)) throw new UsageError(`${file} does not exist`);
      if (!f.model && f.retriever !== 'bm25') throw new UsageError(`--model is needed with --retriever ${f.retriever} (only bm25 works without a model)`);
      const dev = readDevPairs(f.similarTextPairFile); // checked before the long work
      const queries = dev.map((d) => d.query);
      const started = Date.now();
      const bm25Params = { k1: f.bm25K1, b: f.bm25B };
      let texts: { textOf(id: number): string; readonly size: number }, hits: Hit[][], what: string;
      if (f.store) {
        ({ texts, hits } = await recallFromStore(f.store, f.model!, f, queries, f.recallNum));
        what = `pgvector ${parseStoreUrl(f.store).table}`;
      } else if (f.index) {
        const corpus = CorpusIndex.load(f.index);
        const loaded = f.model ? await loadAnyEmbedder(f.model, f) : undefined;
        if (loaded && JSON.stringify(loaded.fingerprint) !== JSON.stringify(corpus.embedder)) throw new Error(`${f.index} was built by another model than ${f.model}: its vectors would be compared with this model's queries; rebuild it with inbatch index --model ${f.model}`);
        if (f.retriever !== 'dense') corpus.withLexical(bm25Params);
        const choice = await chooseRetriever(f, { corpus, embedder: loaded?.embedder, fingerprint: corpus.embedder, evaluated: [f.similarTextPairFile], modelDir: f.model && !isEndpoint(f.model) ? f.model : undefined });
        hits = await corpus.search(queries, f.recallNum, { retriever: choice.kind, embedder: loaded?.embedder, hybrid: choice.hybrid });
        texts = corpus.texts;
        what = `${choice.kind}, ${corpus.index.kind} from ${f.index}`;
      } else if (!f.model) {
        const list = await readCorpusTexts(f.corpusFile!);
        texts = arrayTexts(list);
        const lexical = Bm25Index.build(list, bm25Params);
        lexical.save(join(f.recallResultDir, 'bm25'));
        hits = await new Bm25Retriever(lexical).search(queries, f.recallNum);
        what = `bm25 (${lexical.termCount} terms)`;
      } else {
        const { embedder, fingerprint } = await loadAnyEmbedder(f.model, f);
        const cache = new EmbeddingCache(join(f.recallResultDir, 'corpus_embeddings.f32'), f.corpusFile!, fingerprint);
        if (!f.reuseEmbeddings) cache.forget();
        const corpus = await CorpusIndex.fromFile(embedder, f.corpusFile!, { kind: f.exact ? 'exact' : 'hnsw', hnsw: { m: f.hnswM, efConstruction: f.hnswEf, ef: Math.max(f.hnswEf, f.fusionDepth) } }, { cache });
        if (corpus.reused) console.error(`reused ${corpus.size} corpus embeddings from ${cache.matrixPath}`);
        const indexDir = join(f.recallResultDir, 'index');
        // a fusion fitted for this model and corpus by an earlier run is in the index folder about to be replaced
        const choice = await chooseRetriever(f, { corpus, embedder, indexDir, fingerprint, evaluated: [f.similarTextPairFile, f.corpusFile!], modelDir: isEndpoint(f.model) ? undefined : f.model });
        corpus.withLexical(bm25Params).save(indexDir, fingerprint);
        if (choice.fit) saveFit(indexDir, choice.fit);
        texts = corpus.texts;
        hits = await corpus.search(queries, f.recallNum, { retriever: choice.kind, embedder, hybrid: choice.hybrid });
        what = `${f.retriever}${choice.kind !== f.retriever ? ` (${choice.kind} by calibration)` : ''}, ${corpus.index.kind} + bm25`;
      }
      const resultPath = join(f.recallResultDir, f.recallResultFile);
      writeFileAtomic(resultPath, formatRecallRows(hits.flatMap((list, q) => list.map((h) => ({ query: queries[q]!, text: texts.textOf(h.id), score: h.score })))));
      if (f.trecRun) writeTrecFiles(f.trecRun, dev, texts, hits, f.retriever);
      console.error(`${texts.size} texts indexed (${what}), ${queries.length} queries, ${((Date.now() - started) / 1000).toFixed(1)} s`);
      console.log(resultPath);
    });
}

/** The recall as a TREC run, and qrels that mark every corpus text equal to a pair's gold text relevant. */
function writeTrecFiles(path: string, dev: DevPair[], texts: { textOf(id: number): string; readonly size: number }, hits: Hit[][], tag: string): void {
  const run: Run = new Map(hits.map((list, q) => [String(q + 1), list.map((h) => ({ id: String(h.id + 1), score: h.score }))]));
  writeFileAtomic(path, formatTrecRun(run, `inbatch-${tag}`));
  const positions = new Map<string, number[]>(dev.map((d) => [d.gold, []]));
  for (let i = 0; i < texts.size; i++) positions.get(texts.textOf(i))?.push(i + 1);
  let qrels = '';
  dev.forEach((d, q) => { for (const id of positions.get(d.gold) ?? []) qrels += `${q + 1}\t${id}\t1\n`; });
  writeFileAtomic(`${path}.qrels`, qrels);
}

/** Dense recall from a pgvector table: the queries embedded here, ranked by the database, texts read back from it. */
async function recallFromStore(url: string, model: string, f: AnyModelFlags, queries: string[], k: number): Promise<{ texts: { textOf(id: number): string; size: number }; hits: Hit[][] }> {
  const { embedder, fingerprint, release } = await loadAnyEmbedder(model, f);
  const store = await PgVectorStore.connect(url);
  try {
    const d = await store.open();
    if (d.meta && JSON.stringify(d.meta.embedder) !== JSON.stringify(fingerprint)) throw new Error(`${store.target.display} table ${store.target.table} was built by another model than ${model}; rebuild it with inbatch index --store`);
    const hits = await new DenseRetriever(store, embedder).search(queries, k);
    const found = await store.textsOf([...new Set(hits.flat().map((h) => h.id))]);
    return { texts: { size: d.rows, textOf: (id) => found.get(id) ?? '' }, hits };
  } finally {
    await store.close();
    await release();
  }
}

