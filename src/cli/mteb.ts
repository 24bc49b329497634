// inbatch mteb: BEIR-layout retrieval evaluation with trec_eval metrics, as MTEB JSON.
import { join } from 'node:path';
import { basename, resolve } from 'node:path';
import { Option } from '@commander-js/extra-typings';
import { readIdTexts, readQrels } from '../data/beir-files.js';
import { mtebResult } from '../eval/mteb-result.js';
import type { Run } from '../eval/trec-metrics.js';
import { CorpusIndex } from '../retrieval/corpus-index.js';
import { withBatchSize } from '../retrieval/text-embedder.js';
import { writeFileAtomic } from '../util/atomic.js';
import type { Command } from './command.js';
import { embedBatchOption, hnswEfOption, hnswMOption, intIn, maxSeqLengthOption, modelDirOption, oneOf, pathValue } from './flags.js';
import { loadModelFromFlags } from './model-flags.js';

export function addMtebCommand(program: Command): void {
  program.command('mteb')
    .description('MTEB-style retrieval evaluation: ndcg/map/mrr/precision/recall at 1,3,5,10,100,1000 (trec_eval definitions) as MTEB JSON.')
    .addOption(modelDirOption())
    .addOption(new Option('--queries <file>', 'qid<TAB>text TSV or {_id,text} JSONL').argParser(pathValue).makeOptionMandatory())
    .addOption(new Option('--corpus <file>', 'docid<TAB>text TSV or {_id,title,text} JSONL').argParser(pathValue).makeOptionMandatory())
    .addOption(new Option('--qrels <file>', 'qid<TAB>docid<TAB>score').argParser(pathValue).makeOptionMandatory())
    .addOption(new Option('--output-folder <dir>', 'where TASK.json is written').argParser(pathValue).makeOptionMandatory())
    .addOption(new Option('--task-name <name>', 'dataset name in the JSON (default: the corpus folder name)'))
    .addOption(new Option('--model-name <name>', 'model name in the JSON (default: the model folder name)'))
    .addOption(new Option('--split <name>', 'split key in the JSON').default('dev'))
    .addOption(new Option('--index <kind>', 'exact | hnsw').argParser(oneOf('exact', 'hnsw')).default('exact' as const))
    .addOption(new Option('--top-k <n>', 'documents retrieved per query').argParser(intIn(1, 100000)).default(1000))
    .addOption(hnswMOption())
    .addOption(hnswEfOption())
    .addOption(embedBatchOption())
    .addOption(maxSeqLengthOption())
    .action(async (f) => {
      const started = Date.now();
      const queries = readIdTexts(f.queries);
      const corpus = readIdTexts(f.corpus);
      const qrels = readQrels(f.qrels);
      const model = loadModelFromFlags(f.model, f);
      const embedder = withBatchSize(model, f.batchSize);
      const index = await CorpusIndex.fromTexts(embedder, corpus.map((d) => d.text), {
        kind: f.index, hnsw: { m: f.hnswM, efConstruction: f.hnswEf, ef: Math.max(f.hnswEf, f.topK) },
      }, false);
      const hits = await index.search(embedder, queries.map((q) => q.text), f.topK);
      const run: Run = new Map(queries.map((q, i) => [q.id, hits[i]!.map((h) => ({ id: corpus[h.id]!.id, score: h.score }))]));
      const task = f.taskName ?? basename(resolve(f.corpus, '..'));
      const { result } = mtebResult(task, f.modelName ?? basename(resolve(f.model)), f.split, run, qrels, (Date.now() - started) / 1000);
      const out = join(f.outputFolder, `${task}.json`);
      writeFileAtomic(out, JSON.stringify(result, null, 2) + '\n');
      const m = result[f.split] as Record<string, number>;
      console.log(`${task}: ndcg@10 ${m.ndcg_at_10!.toFixed(4)}  map@10 ${m.map_at_10!.toFixed(4)}  mrr@10 ${m.mrr_at_10!.toFixed(4)}  recall@100 ${m.recall_at_100!.toFixed(4)}  -> ${out}`);
    });
}
