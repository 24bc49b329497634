// Dev-set evaluation during training: embed the corpus and the queries, search, and
// score PaddleNLP Recall@N (the trainer keeps model_best by Recall@5).
import type { DevPair } from '../data/paddle-recall-files.js';
import { PADDLE_CUTOFFS, recallAtN } from '../eval/recall-at-n.js';
import { createIndex } from '../index/create-index.js';
import { DEFAULT_HNSW, type HnswOptions } from '../index/hnsw.js';
import type { DualEncoder } from '../model/dual-encoder.js';
import type { EvalResult, Evaluator } from './trainer.js';

export interface RecallEvaluatorOptions {
  recallNum: number;
  index: 'hnsw' | 'exact';
  hnsw: HnswOptions;
  batchSize: number;
  /** drop a recalled text identical to the query (when queries are also corpus lines) */
  excludeQueryText: boolean;
}

export class RecallEvaluator implements Evaluator {
  readonly options: RecallEvaluatorOptions;

  constructor(readonly dev: DevPair[], readonly corpus: string[], options: Partial<RecallEvaluatorOptions> = {}) {
    this.options = { recallNum: 50, index: 'hnsw', hnsw: DEFAULT_HNSW, batchSize: 128, excludeQueryText: false, ...options };
  }

  evaluate(model: DualEncoder): EvalResult {
    const corpusVectors = model.embed(this.corpus, this.options.batchSize);
    const index = createIndex(this.options.index, model.embeddingSize, this.corpus.length, this.options.hnsw);
    index.add(corpusVectors);
    const { recallNum, excludeQueryText } = this.options;
    const hits = index.search(model.embed(this.dev.map((d) => d.query), this.options.batchSize), recallNum + (excludeQueryText ? 1 : 0));
    const recalled = hits.map((h, q) => {
      const texts = h.map((x) => this.corpus[x.id]!);
      return (excludeQueryText ? texts.filter((t) => t !== this.dev[q]!.query) : texts).slice(0, recallNum);
    });
    const table = recallAtN(this.dev.map((d) => new Set([d.gold])), recalled, PADDLE_CUTOFFS.filter((n) => n <= recallNum));
    return { recall: table.recall };
  }
}
