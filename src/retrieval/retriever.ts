// Three ways to rank a corpus for a query, behind one interface:
//   dense  - the embedding model and the vector index (cosine)
//   bm25   - the lexical index (BM25 score)
//   hybrid - both, fused over each one's top `depth`: reciprocal rank fusion (RRF score) or a convex
//            combination of min-max normalised scores; its weights are fitted without labels
//            by fusion-calibration.ts
import type { Bm25Index } from '../lexical/bm25-index.js';
import type { Hit } from '../vectors/topk.js';
import type { VectorSearch } from '../vectors/vector-index.js';
import { convexFusion, DEFAULT_RRF_K, reciprocalRankFusion } from './fusion.js';
import type { TextEmbedder } from './text-embedder.js';

export type RetrieverKind = 'dense' | 'bm25' | 'hybrid';
export const RETRIEVER_KINDS: readonly RetrieverKind[] = ['dense', 'bm25', 'hybrid'];

export interface Retriever {
  readonly kind: RetrieverKind;
  /** The k best texts per query, best first. */
  search(queries: string[], k: number): Promise<Hit[][]>;
}

export interface HybridOptions {
  /** rrf: reciprocal rank fusion (weight / (k + rank)); convex: weights times min-max normalised scores */
  method: 'rrf' | 'convex';
  /** RRF's k */
  rrfK: number;
  denseWeight: number;
  bm25Weight: number;
  /** how deep each retriever's list is fused (at least the k asked for) */
  depth: number;
}

export const DEFAULT_HYBRID: HybridOptions = { method: 'rrf', rrfK: DEFAULT_RRF_K, denseWeight: 1, bm25Weight: 1, depth: 100 };

export class DenseRetriever implements Retriever {
  readonly kind = 'dense';
  constructor(readonly index: VectorSearch, readonly embedder: TextEmbedder) {
    if (embedder.dim !== index.dim) throw new Error(`the embedder gives ${embedder.dim}-d vectors, the index holds ${index.dim}-d`);
  }

  async search(queries: string[], k: number): Promise<Hit[][]> {
    return this.index.search(await (this.embedder.embedQueries ? this.embedder.embedQueries(queries) : this.embedder.embed(queries)), k);
  }
}

export class Bm25Retriever implements Retriever {
  readonly kind = 'bm25';
  constructor(readonly index: Bm25Index) {}

  async search(queries: string[], k: number): Promise<Hit[][]> {
    return this.index.search(queries, k);
  }
}

export class HybridRetriever implements Retriever {
  readonly kind = 'hybrid';
  constructor(readonly dense: Retriever, readonly bm25: Retriever, readonly options: HybridOptions = DEFAULT_HYBRID) {}

  async search(queries: string[], k: number): Promise<Hit[][]> {
    const depth = Math.max(k, this.options.depth);
    const [dense, lexical] = await Promise.all([this.dense.search(queries, depth), this.bm25.search(queries, depth)]);
    return queries.map((_, q) => fuseTwo(dense[q]!, lexical[q]!, this.options, k));
  }
}

/** The fused top k of a dense and a BM25 ranking (each best first, at least `depth` long where the corpus allows). */
export function fuseTwo(dense: readonly Hit[], bm25: readonly Hit[], o: HybridOptions, k: number): Hit[] {
  const weights = [o.denseWeight, o.bm25Weight];
  return o.method === 'convex'
    ? convexFusion([dense, bm25], { weights, depth: Math.max(k, o.depth), limit: k })
    : reciprocalRankFusion([dense, bm25], { k: o.rrfK, weights, depth: Math.max(k, o.depth), limit: k });
}
