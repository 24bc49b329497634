import { basename, join, resolve } from 'node:path';
import { readIdTexts, readQrels } from '../data/beir-files.js';
import { createIndex } from '../index/create-index.js';
import { mtebResult } from '../eval/mteb-result.js';
import type { Run } from '../eval/trec-metrics.js';
import { writeFileAtomic } from '../util/atomic.js';
import { Progress } from '../util/progress.js';
import type { Command } from './command.js';
import { loadModelFromFlags } from './model-flags.js';

export const mtebCommand: Command = {
  name: 'mteb',
  summary: 'MTEB-style retrieval evaluation: ndcg/map/mrr/precision/recall at 1,3,5,10,100,1000 (trec_eval definitions) as MTEB JSON.',
  flags: {
    model: { type: 'string', required: true, help: 'model folder' },
    queries: { type: 'string', required: true, help: 'qid<TAB>text TSV or {_id,text} JSONL' },
    corpus: { type: 'string', required: true, help: 'docid<TAB>text TSV or {_id,title,text} JSONL' },
    qrels: { type: 'string', required: true, help: 'qid<TAB>docid<TAB>score' },
    'output-folder': { type: 'string', required: true, help: 'where TASK.json is written' },
    'task-name': { type: 'string', help: 'dataset name in the JSON (default: the corpus folder name)' },
    'model-name': { type: 'string', help: 'model name in the JSON (default: the model folder name)' },
    split: { type: 'string', default: 'dev', help: 'split key in the JSON' },
    index: { type: 'string', default: 'exact', help: 'exact | hnsw' },
    'top-k': { type: 'int', default: 1000, help: 'documents retrieved per query' },
    'hnsw-m': { type: 'int', default: 100, help: 'HNSW M' },
    'hnsw-ef': { type: 'int', default: 100, help: 'HNSW ef (raised to top-k when smaller)' },
    'batch-size': { type: 'int', default: 128, help: 'texts per forward pass' },
  },
  run(f) {
    const started = Date.now();
    const model = loadModelFromFlags(String(f.model), f);
    const batchSize = Number(f['batch-size']);
    const queries = readIdTexts(String(f.queries));
    const corpus = readIdTexts(String(f.corpus));
    const qrels = readQrels(String(f.qrels));
    const kind = String(f.index);
    if (kind !== 'exact' && kind !== 'hnsw') throw new Error(`--index must be exact or hnsw, got ${kind}`);
    const ef = Math.max(Number(f['hnsw-ef']), Number(f['top-k']));
    const index = createIndex(kind, model.embeddingSize, corpus.length, { m: Number(f['hnsw-m']), efConstruction: Number(f['hnsw-ef']), ef });
    const progress = new Progress('embed corpus', corpus.length, 'texts');
    for (let i = 0; i < corpus.length; i += 2048) {
      const chunk = corpus.slice(i, i + 2048);
      index.add(model.embed(chunk.map((d) => d.text), batchSize), chunk.map((_, k) => i + k));
      progress.update(Math.min(i + 2048, corpus.length));
    }
    progress.done(corpus.length);
    const hits = index.search(model.embed(queries.map((q) => q.text), batchSize), Number(f['top-k']));
    const run: Run = new Map(queries.map((q, i) => [q.id, hits[i]!.map((h) => ({ id: corpus[h.id]!.id, score: h.score }))]));
    const task = String(f['task-name'] ?? basename(resolve(String(f.corpus), '..')));
    const { result } = mtebResult(task, String(f['model-name'] ?? basename(resolve(String(f.model)))), String(f.split), run, qrels, (Date.now() - started) / 1000);
    const out = join(String(f['output-folder']), `${task}.json`);
    writeFileAtomic(out, JSON.stringify(result, null, 2) + '\n');
    const m = result[String(f.split)] as Record<string, number>;
    console.log(`${task}: ndcg@10 ${m.ndcg_at_10!.toFixed(4)}  map@10 ${m.map_at_10!.toFixed(4)}  mrr@10 ${m.mrr_at_10!.toFixed(4)}  recall@100 ${m.recall_at_100!.toFixed(4)}  -> ${out}`);
  },
};
