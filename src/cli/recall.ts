import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { formatRecallRows, readCorpusLines, readDevPairs } from '../data/paddle-recall-files.js';
import { readMatrix } from '../index/matrix-file.js';
import type { ModelConfig } from '../model/config.js';
import { createIndex } from '../index/create-index.js';
import { countLines, embedCorpus } from '../embed/corpus.js';
import { torchEncoder } from '../model/torch-encoder.js';
import { writeFileAtomic } from '../util/atomic.js';
import type { Command } from './command.js';
import { loadModelFromFlags } from './model-flags.js';

/** What a corpus embedding matrix was made from; reuse only when all of it still matches. */
function embeddingSource(modelDir: string, corpusFile: string, config: ModelConfig) {
  const weights = statSync(join(modelDir, 'model.safetensors'));
  const corpus = statSync(corpusFile);
  return {
    model: resolve(modelDir), weights_mtime: weights.mtimeMs, weights_size: weights.size,
    corpus: resolve(corpusFile), corpus_mtime: corpus.mtimeMs, corpus_size: corpus.size, inbatch: config.inbatch,
  };
}

function sameSource(matrixPath: string, source: object): boolean {
  const sidecar = `${matrixPath}.json`;
  return existsSync(matrixPath) && existsSync(sidecar) && readFileSync(sidecar, 'utf8') === JSON.stringify(source);
}

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
    'reuse-embeddings': { type: 'boolean', default: false, help: 'reuse corpus_embeddings.f32 when model and corpus are unchanged' },
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
    const matrixPath = join(outDir, 'corpus_embeddings.f32');
    const source = embeddingSource(String(f.model), corpusFile, model.config);
    let texts: string[];
    if (f['reuse-embeddings'] && sameSource(matrixPath, source)) {
      texts = readCorpusLines(corpusFile);
      const { rows, cols, data } = readMatrix(matrixPath);
      for (let r = 0; r < rows; r += 4096) {
        const block = Array.from({ length: Math.min(4096, rows - r) }, (_, i) => data.subarray((r + i) * cols, (r + i + 1) * cols));
        index.add(block, block.map((_, i) => r + i));
      }
      console.error(`reused ${rows} corpus embeddings from ${matrixPath}`);
    } else {
      texts = await embedCorpus(encoder, corpusFile, { matrixPath, index });
      writeFileAtomic(`${matrixPath}.json`, JSON.stringify(source));
    }
    const indexDir = join(outDir, 'index');
    index.save(indexDir);
    writeFileAtomic(join(indexDir, 'texts.txt'), texts.join('\n') + '\n');
    const dev = readDevPairs(String(f['similar-text-pair-file']));
    const queries = dev.map((d) => d.query);
    const hits = index.search(await encoder.embed(queries), Number(f['recall-num']));
    const resultPath = join(outDir, String(f['recall-result-file']));
    const rows = hits.flatMap((list, q) => list.map((h) => ({ query: queries[q]!, text: texts[h.id]!, score: h.score })));
    writeFileAtomic(resultPath, formatRecallRows(rows));
    console.error(`${texts.length} texts indexed (${index.kind}), ${queries.length} queries, ${((Date.now() - started) / 1000).toFixed(1)} s`);
    console.log(resultPath);
  },
};
