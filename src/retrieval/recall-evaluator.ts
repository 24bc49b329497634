// Dev-set evaluation during training: index the dev corpus with the model being trained,
// search the dev queries, and score PaddleNLP Recall@N (success@N, in percent).
import type { DevPair } from '../data/paddle-recall-files.js';
import { PADDLE_CUTOFFS, successAtN, successJson } from '../eval/success-at-n.js';
import { CorpusIndex, DEFAULT_INDEX_SPEC, type IndexSpec } from './corpus-index.js';
import type { TextEmbedder } from './text-embedder.js';

export interface RecallEvaluatorOptions {
  recallNum: number;
  index: IndexSpec;
  /** drop a recalled text identical to the query (when queries are also corpus lines) */
  excludeQueryText: boolean;
}

export interface RecallEvaluation {
  /** success_at_N -> percent of queries whose gold text is in the top N */
  scores: Record<string, number>;
}

export class RecallEvaluator {
  readonly options: RecallEvaluatorOptions;

  constructor(readonly dev: DevPair[], readonly corpus: string[], options: Partial<RecallEvaluatorOptions> = {}) {
    this.options = { recallNum: 50, index: DEFAULT_INDEX_SPEC, excludeQueryText: false, ...options };
  }

  async evaluate(embedder: TextEmbedder): Promise<RecallEvaluation> {
    const { recallNum, excludeQueryText } = this.options;
    const corpusIndex = await CorpusIndex.fromTexts(embedder, this.corpus, this.options.index);
    const hits = await corpusIndex.search(this.dev.map((d) => d.query), recallNum + (excludeQueryText ? 1 : 0), { embedder });
    const recalled = hits.map((list, q) => {
      const texts = list.map((h) => corpusIndex.textOf(h.id));
      return (excludeQueryText ? texts.filter((t) => t !== this.dev[q]!.query) : texts).slice(0, recallNum);
    });
    const table = successAtN(this.dev.map((d) => new Set([d.gold])), recalled, PADDLE_CUTOFFS.filter((n) => n <= recallNum));
    return { scores: successJson(table.successPct) };
  }
}
