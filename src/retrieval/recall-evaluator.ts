// Dev-set evaluation during training: index the dev corpus with the model being trained,
// search the dev queries, and score PaddleNLP Recall@N (success@N, in percent).
import type { DevPair } from '../data/paddle-recall-files.js';
import { PADDLE_CUTOFFS, successAtN, successJson } from '../eval/success-at-n.js';
import { CorpusIndex, DEFAULT_INDEX_SPEC, type IndexSpec } from './corpus-index.js';
import { atDimensions, type TextEmbedder } from './text-embedder.js';

export interface RecallEvaluatorOptions {
  recallNum: number;
  index: IndexSpec;
  /** drop a recalled text identical to the query (when queries are also corpus lines) */
  excludeQueryText: boolean;
  /** Matryoshka: also score these prefix dimensions (each text embedded once, at the full size) */
  dimensions?: number[];
}

export interface RecallEvaluation {
  /** success_at_N -> percent of queries whose gold text is in the top N; success_at_10_dim_D for each prefix D */
  scores: Record<string, number>;
  /** Recall@10 (percent) at each dimension scored, the full one included */
  recallAt10ByDimension?: Record<string, number>;
}

export class RecallEvaluator {
  readonly options: RecallEvaluatorOptions;

  constructor(readonly dev: DevPair[], readonly corpus: string[], options: Partial<RecallEvaluatorOptions> = {}) {
    this.options = { recallNum: 50, index: DEFAULT_INDEX_SPEC, excludeQueryText: false, ...options };
  }

  async evaluate(embedder: TextEmbedder): Promise<RecallEvaluation> {
    const dims = (this.options.dimensions ?? []).filter((d) => d < embedder.dim);
    if (!dims.length || this.options.recallNum < 10) return { scores: await this.scoresOf(embedder) };
    const once = embedOnce(embedder);
    const scores = await this.scoresOf(once);
    const recallAt10ByDimension: Record<string, number> = { [embedder.dim]: scores.success_at_10! };
    for (const d of dims) {
      const at = await this.scoresOf(atDimensions(once, d));
      scores[`success_at_10_dim_${d}`] = recallAt10ByDimension[d] = at.success_at_10!;
    }
    return { scores, recallAt10ByDimension };
  }

  private async scoresOf(embedder: TextEmbedder): Promise<Record<string, number>> {
    const { recallNum, excludeQueryText } = this.options;
    const corpusIndex = await CorpusIndex.fromTexts(embedder, this.corpus, this.options.index);
    const hits = await corpusIndex.search(this.dev.map((d) => d.query), recallNum + (excludeQueryText ? 1 : 0), { embedder });
    const recalled = hits.map((list, q) => {
      const texts = list.map((h) => corpusIndex.textOf(h.id));
      return (excludeQueryText ? texts.filter((t) => t !== this.dev[q]!.query) : texts).slice(0, recallNum);
    });
    const table = successAtN(this.dev.map((d) => new Set([d.gold])), recalled, PADDLE_CUTOFFS.filter((n) => n <= recallNum));
    return successJson(table.successPct);
  }
}

/** The development texts embedded once at the full size, whatever prefix is scored after (the dev set is small). */
function embedOnce(embedder: TextEmbedder): TextEmbedder {
  const seen = new Map<string, Float32Array>();
  const through = (f: (t: string[]) => Float32Array[] | Promise<Float32Array[]>, tag: string) => async (texts: string[]) => {
    const missing = texts.filter((t) => !seen.has(tag + t));
    if (missing.length) (await f(missing)).forEach((v, i) => seen.set(tag + missing[i]!, v));
    return texts.map((t) => seen.get(tag + t)!);
  };
  const queries = embedder.embedQueries?.bind(embedder);
  return { dim: embedder.dim, embed: through(embedder.embed.bind(embedder), 'd:'), ...(queries ? { embedQueries: through(queries, 'q:') } : {}) };
}
