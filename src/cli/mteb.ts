// inbatch mteb: BEIR-layout retrieval evaluation with trec_eval metrics, as MTEB JSON.
import { basename, resolve } from 'node:path';
import { Option } from '@commander-js/extra-typings';
import { formatTrecRun, readIdTexts, readQrels } from '../data/beir-files.js';
import { datasetRevision, taskResult, writeTaskResultFiles, type EvaluatedModel } from '../eval/mteb-result.js';
import { describeModel } from './model-flags.js';
import { perQueryTrec } from '../eval/per-query.js';
import type { Run } from '../eval/trec-metrics.js';
import { Bm25Index } from '../lexical/bm25-index.js';
import { CorpusIndex } from '../retrieval/corpus-index.js';
import { Bm25Retriever, type Retriever } from '../retrieval/retriever.js';
import { isEndpoint } from '../infer/endpoint.js';
import { writeFileAtomic } from '../util/atomic.js';
import type { Command } from './command.js';
import {
  anyModelOption, apiKeyOption, documentPrefixOption, endpointModelOption, poolingOption, queryPrefixOption, dimensionsOption, allowUntrainedDimensionsOption, bm25BOption, bm25K1Option, embedBatchOption, fusionDepthOption, hnswEfOption, hnswMOption, calibrationPairsOption, calibrationQueriesOption, calibrationSeedOption, fusionMethodOption, hybridWeightsOption, intIn, maxSeqLengthOption,
  oneOf, pathValue, retrieverOption, rrfKOption, UsageError, paddleBaseOption,
} from './flags.js';
import { chooseRetriever } from './fusion-choice.js';
import { loadAnyEmbedder } from './model-flags.js';
import type { FusionFit } from '../retrieval/fusion-calibration.js';

export function addMtebCommand(program: Command): void {
  program.command('mteb')
    .description('MTEB-style retrieval evaluation: ndcg/map/mrr/precision/recall at 1,3,5,10,100,1000 (trec_eval definitions) as MTEB JSON.')
    .addOption(anyModelOption())
    .addOption(poolingOption()).addOption(queryPrefixOption()).addOption(dimensionsOption()).addOption(allowUntrainedDimensionsOption()).addOption(documentPrefixOption()).addOption(apiKeyOption()).addOption(endpointModelOption())
    .addOption(paddleBaseOption())
    .addOption(new Option('--queries <file>', 'qid<TAB>text TSV or {_id,text} JSONL').argParser(pathValue).makeOptionMandatory())
    .addOption(new Option('--corpus <file>', 'docid<TAB>text TSV or {_id,title,text} JSONL').argParser(pathValue).makeOptionMandatory())
    .addOption(new Option('--qrels <file>', 'qid<TAB>docid<TAB>score').argParser(pathValue).makeOptionMandatory())
    .addOption(new Option('--output-folder <dir>', 'mteb\'s results folder: OUTPUT/<model>/<revision>/TASK.json + model_meta.json (inbatch\'s extras in OUTPUT.inbatch/)').argParser(pathValue).makeOptionMandatory())
    .addOption(new Option('--revision <rev>', 'model revision in the results path').default('no_revision_available'))
    .addOption(new Option('--dataset-revision <rev>', 'the data\'s revision in TASK.json (default: sha256: of the queries, corpus and qrels files)'))
    .addOption(new Option('--languages <codes>', 'comma-separated ISO 639-3 + script codes of the task, e.g. cmn-Hans').default(''))
    .addOption(new Option('--task-name <name>', 'dataset name in the JSON (default: the corpus folder name)'))
    .addOption(new Option('--model-name <name>', 'model name in the JSON (default: the model folder name, or bm25)'))
    .addOption(new Option('--split <name>', 'split key in the JSON').default('dev'))
    .addOption(retrieverOption()).addOption(rrfKOption()).addOption(hybridWeightsOption()).addOption(fusionMethodOption()).addOption(fusionDepthOption())
    .addOption(calibrationPairsOption()).addOption(calibrationQueriesOption()).addOption(calibrationSeedOption()).addOption(bm25K1Option()).addOption(bm25BOption())
    .addOption(new Option('--trec-run <file>', 'also write the ranking as a TREC run (for evaluate-run and fuse)').argParser(pathValue))
    .addOption(new Option('--per-query <file>', 'also write every query\'s scores (for inbatch compare A B with confidence intervals)').argParser(pathValue))
    .addOption(new Option('--index <kind>', 'exact | hnsw').argParser(oneOf('exact', 'hnsw')).default('exact' as const))
    .addOption(new Option('--corpus-index <dir>', 'rank with a folder written by inbatch index from this --corpus (nothing embedded but the queries)').argParser(pathValue))
    .addOption(new Option('--store <url>', 'or with a pgvector table written by inbatch index --store from this --corpus (dense)'))
    .addOption(new Option('--top-k <n>', 'documents retrieved per query').argParser(intIn(1, 100000)).default(1000))
    .addOption(hnswMOption())
    .addOption(hnswEfOption())
    .addOption(embedBatchOption())
    .addOption(maxSeqLengthOption())
    .action(async (f) => {
      if (!f.model && f.retriever !== 'bm25') throw new UsageError(`--model is needed with --retriever ${f.retriever} (only bm25 works without a model)`);
      const started = Date.now();
      const queries = readIdTexts(f.queries);
      const corpus = readIdTexts(f.corpus);
      const qrels = readQrels(f.qrels);
      const texts = corpus.map((d) => d.text);
      const bm25Params = { k1: f.bm25K1, b: f.bm25B };
      let retriever: Retriever;
      let fusion: FusionFit | undefined;
      let close: (() => Promise<void>) | undefined;
      let evaluatedDim: number | undefined;
      if (f.corpusIndex || f.store) {
        if (!f.model) throw new UsageError('--corpus-index and --store need --model (the queries are embedded)');
        if (f.store && f.retriever !== 'dense') throw new UsageError('--store ranks with the dense retriever only; use --corpus-index for bm25 or hybrid');
        const { embedder, fingerprint } = await loadAnyEmbedder(f.model, f);
        evaluatedDim = embedder.dim;
        const index = f.corpusIndex ? CorpusIndex.load(f.corpusIndex) : await CorpusIndex.openStore(f.store!);
        close = (index as Partial<{ close(): Promise<void> }>).close;
        if (index.size !== corpus.length) throw new Error(`${f.corpusIndex ?? 'the --store table'} holds ${index.size} texts, ${f.corpus} has ${corpus.length}: it was built from another corpus`);
        if (JSON.stringify(index.embedder) !== JSON.stringify(fingerprint)) throw new Error(`${f.corpusIndex ?? 'the --store table'} was built by another model than ${f.model}`);
        if (f.retriever !== 'dense') index.withLexical(bm25Params);
        const choice = await chooseRetriever(f, { corpus: index, embedder, fingerprint, evaluated: [f.queries, f.qrels], modelDir: isEndpoint(f.model) ? undefined : f.model });
        fusion = choice.fit;
        retriever = index.retriever(choice.kind, embedder, choice.hybrid);
      } else if (!f.model) {
        retriever = new Bm25Retriever(Bm25Index.build(texts, bm25Params));
      } else {
        const { embedder, fingerprint } = await loadAnyEmbedder(f.model, f);
        evaluatedDim = embedder.dim;
        const index = await CorpusIndex.fromTexts(embedder, texts, {
          kind: f.index, hnsw: { m: f.hnswM, efConstruction: f.hnswEf, ef: Math.max(f.hnswEf, f.topK, f.fusionDepth) },
        }, false);
        if (f.retriever !== 'dense') index.withLexical(bm25Params);
        const choice = await chooseRetriever(f, { corpus: index, embedder, fingerprint, evaluated: [f.queries, f.qrels], modelDir: isEndpoint(f.model) ? undefined : f.model });
        fusion = choice.fit;
        retriever = index.retriever(choice.kind, embedder, choice.hybrid);
      }
      const hits = await retriever.search(queries.map((q) => q.text), f.topK).finally(() => close?.());
      const run: Run = new Map(queries.map((q, i) => [q.id, hits[i]!.map((h) => ({ id: corpus[h.id]!.id, score: h.score }))]));
      const task = f.taskName ?? basename(resolve(f.corpus, '..'));
      const modelName = f.modelName ?? (!f.model ? 'bm25' : isEndpoint(f.model) ? new URL(f.model).host : basename(resolve(f.model)));
      const languages = f.languages.split(',').map((l) => l.trim()).filter(Boolean);
      const model: EvaluatedModel = { name: modelName, revision: f.revision, ...(f.model ? describeModel(f.model, evaluatedDim, f) : { kind: 'bm25' }) };
      const files = taskResult({ taskName: task, model, split: f.split, languages, run, qrels, evaluationSeconds: (Date.now() - started) / 1000,
        datasetRevision: datasetRevision(f.datasetRevision, [f.queries, f.corpus, f.qrels]) });
      const { result: out, sidecar } = writeTaskResultFiles(f.outputFolder, files, fusion ? { fusion } : {});
      if (f.perQuery) writeFileAtomic(f.perQuery, JSON.stringify(perQueryTrec(`${modelName} (${f.retriever})`, run, qrels)) + '\n');
      if (f.trecRun) writeFileAtomic(f.trecRun, formatTrecRun(run, `${modelName}-${f.retriever}`.replace(/\s+/g, '_')));
      const m = files.result.scores[f.split]![0]! as unknown as Record<string, number>;
      console.log(`${task} (${f.retriever}): ndcg@10 ${m.ndcg_at_10!.toFixed(4)}  map@10 ${m.map_at_10!.toFixed(4)}  mrr@10 ${m.mrr_at_10!.toFixed(4)}  recall@100 ${m.recall_at_100!.toFixed(4)}  -> ${out} (inbatch's extras: ${sidecar})`);
    });
}
