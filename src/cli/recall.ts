// inbatch recall: PaddleNLP's recall.py: embed the corpus, index it, and write the top
// recall-num texts of every dev query as query<TAB>text<TAB>cosine.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Option } from '@commander-js/extra-typings';
import { formatRecallRows, readDevPairs } from '../data/paddle-recall-files.js';
import { modelFingerprint } from '../model/fingerprint.js';
import { CorpusIndex } from '../retrieval/corpus-index.js';
import { EmbeddingCache } from '../retrieval/embedding-cache.js';
import { withBatchSize } from '../retrieval/text-embedder.js';
import { writeFileAtomic } from '../util/atomic.js';
import type { Command } from './command.js';
import { embedBatchOption, hnswEfOption, hnswMOption, intIn, maxSeqLengthOption, modelDirOption, pathValue, UsageError } from './flags.js';
import { loadModelFromFlags } from './model-flags.js';

export function addRecallCommand(program: Command): void {
  program.command('recall')
    .description('Embed a corpus, index it (HNSW, or --exact), and write the top recall-num texts for every query.')
    .addOption(modelDirOption())
    .addOption(new Option('--corpus-file <file>', 'one text per line (the first tab column)').argParser(pathValue).makeOptionMandatory())
    .addOption(new Option('--similar-text-pair-file <file>', 'query<TAB>gold text per line (the queries are recalled)').argParser(pathValue).makeOptionMandatory())
    .addOption(new Option('--recall-result-dir <dir>', 'output folder (results, embeddings, index)').argParser(pathValue).default('recall_result_dir'))
    .addOption(new Option('--recall-result-file <name>', 'query<TAB>text<TAB>cosine lines, inside --recall-result-dir').argParser(pathValue).default('recall_result.txt'))
    .addOption(new Option('--recall-num <n>', 'texts recalled per query').argParser(intIn(1, 10000)).default(50))
    .addOption(hnswMOption())
    .addOption(hnswEfOption())
    .addOption(new Option('--exact', 'brute-force inner-product search instead of HNSW').default(false))
    .addOption(embedBatchOption())
    .addOption(maxSeqLengthOption())
    .addOption(new Option('--reuse-embeddings', 'reuse corpus_embeddings.f32 when model and corpus are unchanged').default(false))
    .action(async (f) => {
      for (const file of [f.corpusFile, f.similarTextPairFile]) if (!existsSync(file)) throw new UsageError(`${file} does not exist`);
      const dev = readDevPairs(f.similarTextPairFile); // checked before the long work
      const model = loadModelFromFlags(f.model, f);
      const embedder = withBatchSize(model, f.batchSize);
      const started = Date.now();
      const fingerprint = modelFingerprint(f.model, model.config);
      const cache = new EmbeddingCache(join(f.recallResultDir, 'corpus_embeddings.f32'), f.corpusFile, fingerprint);
      if (!f.reuseEmbeddings) cache.forget();
      const corpus = await CorpusIndex.fromFile(embedder, f.corpusFile, { kind: f.exact ? 'exact' : 'hnsw', hnsw: { m: f.hnswM, efConstruction: f.hnswEf, ef: f.hnswEf } }, { cache });
      if (corpus.reused) console.error(`reused ${corpus.size} corpus embeddings from ${cache.matrixPath}`);
      corpus.save(join(f.recallResultDir, 'index'), fingerprint);
      const queries = dev.map((d) => d.query);
      const hits = await corpus.search(embedder, queries, f.recallNum);
      const resultPath = join(f.recallResultDir, f.recallResultFile);
      writeFileAtomic(resultPath, formatRecallRows(hits.flatMap((list, q) => list.map((h) => ({ query: queries[q]!, text: h.text, score: h.score })))));
      console.error(`${corpus.size} texts indexed (${corpus.index.kind}), ${queries.length} queries, ${((Date.now() - started) / 1000).toFixed(1)} s`);
      console.log(resultPath);
    });
}
