// Dev-set evaluation during training: embed the corpus and the queries, search, and
// score PaddleNLP Recall@N (the trainer keeps model_best by Recall@5).
import type { DevPair } from '../data/paddle-recall-files.js';
import { PADDLE_CUTOFFS, recallAtN } from '../eval/recall-at-n.js';
import { ExactIndex } from '../index/exact.js';
import { DEFAULT_HNSW, HnswIndex, type HnswOptions } from '../index/hnsw.js';
import type { VectorIndex } from '../index/vector-index.js';
import type { DualEncoder } from '../model/dual-encoder.js';
import type { EvalResult, Evaluator } from './trainer.js';

export interface RecallEvaluatorOptions {
  recallNum: number;
  index: 'hnsw' | 'exact';
  hnsw: HnswOptions;
  batchSize: number;
}

export class RecallEvaluator implements Evaluator {
  readonly options: RecallEvaluatorOptions;

  constructor(readonly dev: DevPair[], readonly corpus: string[], options: Partial<RecallEvaluatorOptions> = {}) {
    this.options = { recallNum: 50, index: 'hnsw', hnsw: DEFAULT_HNSW, batchSize: 128, ...options };
  }

  evaluate(model: DualEncoder): EvalResult {
    const corpusVectors = model.embed(this.corpus, this.options.batchSize);
    const index: VectorIndex = this.options.index === 'exact'
      ? new ExactIndex(model.embeddingSize, this.corpus.length)
      : new HnswIndex(model.embeddingSize, this.corpus.length, this.options.hnsw);
    index.add(corpusVectors);
    const hits = index.search(model.embed(this.dev.map((d) => d.query), this.options.batchSize), this.options.recallNum);
    const table = recallAtN(this.dev.map((d) => new Set([d.gold])), hits.map((h) => h.map((x) => this.corpus[x.id]!)), PADDLE_CUTOFFS.filter((n) => n <= this.options.recallNum));
    return { recall: table.recall };
  }
}
