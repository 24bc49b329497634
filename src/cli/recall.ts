import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatRecallRows, readDevPairs } from '../data/paddle-recall-files.js';
import { embedCorpus } from '../embed/corpus.js';
import { createIndex } from '../index/create-index.js';
import { countLines } from '../embed/corpus.js';
import { torchEncoder } from '../model/torch-encoder.js';
import { writeFileAtomic } from '../util/atomic.js';
import type { Command } from './command.js';
import { loadModelFromFlags } from './model-flags.js';

export const recallCommand: Command = {
  name: 'recall',
  summary: 'Embed a corpus, index it (HNSW, or --exact), and write the top recall-num texts for every query.',
  flags: {
    model: { type: 'string', required: true, help: 'model folder' },
    'corpus-file': { type: 'string', required: true, help: 'one text per line' },
    'similar-text-pair-file': { type: 'string', required: true, help: 'query<TAB>gold text per line (the queries are recalled)' },
    'recall-result-dir': { type: 'string', default: 'recall_result_dir', help: 'output folder (results, embeddings, index)' },
    'recall-result-file': { type: 'string', default: 'recall_result.txt', help: 'query<TAB>text<TAB>cosine lines' },
    'recall-num': { type: 'int', default: 50, help: 'texts recalled per query' },
    'hnsw-m': { type: 'int', default: 100, help: 'HNSW M' },
    'hnsw-ef': { type: 'int', default: 100, help: 'HNSW ef_construction and ef' },
    exact: { type: 'boolean', default: false, help: 'brute-force inner-product search instead of HNSW' },
    'batch-size': { type: 'int', default: 128, help: 'texts per forward pass' },
    'max-seq-length': { type: 'int', help: 'tokens per text; default: the model\'s' },
  },
  async run(f) {
    const model = loadModelFromFlags(String(f.model), f);
    const encoder = torchEncoder(model, Number(f['batch-size']));
    const outDir = String(f['recall-result-dir']);
    mkdirSync(outDir, { recursive: true });
    const ef = Number(f['hnsw-ef']);
    const corpusFile = String(f['corpus-file']);
    const index = createIndex(f.exact ? 'exact' : 'hnsw', encoder.dim, await countLines(corpusFile), { m: Number(f['hnsw-m']), efConstruction: ef, ef });
    const started = Date.now();
    const texts = await embedCorpus(encoder, corpusFile, { matrixPath: join(outDir, 'corpus_embeddings.f32'), index });
    const indexDir = join(outDir, 'index');
    index.save(indexDir);
    writeFileAtomic(join(indexDir, 'texts.txt'), texts.join('\n') + '\n');
    const dev = readDevPairs(String(f['similar-text-pair-file']));
    const queries = dev.map((d) => d.query);
    const hits = index.search(await encoder.embed(queries), Number(f['recall-num']));
    const resultPath = join(outDir, String(f['recall-result-file']));
    writeFileSync(resultPath, '');
    const rows = hits.flatMap((list, q) => list.map((h) => ({ query: queries[q]!, text: texts[h.id]!, score: h.score })));
    writeFileAtomic(resultPath, formatRecallRows(rows));
    console.error(`${texts.length} texts indexed (${index.kind}), ${queries.length} queries, ${((Date.now() - started) / 1000).toFixed(1)} s`);
    console.log(resultPath);
  },
};
