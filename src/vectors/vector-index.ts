// One small interface for every vector store: add, search, save, load.
// Vectors are L2-normalised embeddings; scores are inner products (= cosine).
import type { Hit } from './topk.js';

export interface VectorIndex {
  readonly kind: string;
  readonly dim: number;
  readonly size: number;
  /** Adds vectors with ids (default: consecutive from the current size). */
  add(vectors: Float32Array[], ids?: number[]): void;
  /** Top k hits per query, best first. */
  search(queries: Float32Array[], k: number): Hit[][];
  /** Writes the index into a folder (created if needed). */
  save(dir: string): void;
}

/** What dense retrieval needs of a vector store: an in-memory index, or a database answering over the network. */
export interface VectorSearch {
  readonly kind: string;
  readonly dim: number;
  readonly size: number;
  search(queries: Float32Array[], k: number): Hit[][] | Promise<Hit[][]>;
}
