// Three ways to rank a corpus for a query, behind one interface:
//   dense  - the embedding model and the vector index (cosine)
//   bm25   - the lexical index (BM25 score)
//   hybrid - both, fused by reciprocal rank fusion over each one's top `depth` (RRF score)
import type { Bm25Index } from '../lexical/bm25-index.js';
import type { Hit } from '../vectors/topk.js';
import type { VectorIndex } from '../vectors/vector-index.js';
import { DEFAULT_RRF_K, reciprocalRankFusion } from './fusion.js';
import type { TextEmbedder } from './text-embedder.js';

export type RetrieverKind = 'dense' | 'bm25' | 'hybrid';
export const RETRIEVER_KINDS: readonly RetrieverKind[] = ['dense', 'bm25', 'hybrid'];

export interface Retriever {
  readonly kind: RetrieverKind;
  /** The k best texts per query, best first. */
  search(queries: string[], k: number): Promise<Hit[][]>;
}

export interface HybridOptions {
  /** RRF's k */
  rrfK: number;
  denseWeight: number;
  bm25Weight: number;
  /** how deep each retriever's list is fused (at least the k asked for) */
  depth: number;
}

export const DEFAULT_HYBRID: HybridOptions = { rrfK: DEFAULT_RRF_K, denseWeight: 1, bm25Weight: 1, depth: 100 };

export class DenseRetriever implements Retriever {
  readonly kind = 'dense';
  constructor(readonly index: VectorIndex, readonly embedder: TextEmbedder) {
    if (embedder.dim !== index.dim) throw new Error(`the embedder gives ${embedder.dim}-d vectors, the index holds ${index.dim}-d`);
  }

  async search(queries: string[], k: number): Promise<Hit[][]> {
    return this.index.search(await this.embedder.embed(queries), k);
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
    const fusion = { k: this.options.rrfK, weights: [this.options.denseWeight, this.options.bm25Weight], limit: k };
    return queries.map((_, q) => reciprocalRankFusion([dense[q]!, lexical[q]!], fusion));
  }
}
