import { truncateVector } from '../vectors/dimensions.js';
/** Anything that turns texts into L2-normalised vectors: the libtorch DualEncoder, or the ONNX Embedder. */
export interface TextEmbedder {
  readonly dim: number;
  /** Embeddings in input order (the corpus's texts: documents). */
  embed(texts: string[]): Float32Array[] | Promise<Float32Array[]>;
  /** Queries, when the model embeds them otherwise (a query prompt); default embed. */
  embedQueries?(texts: string[]): Float32Array[] | Promise<Float32Array[]>;
}

/** A view of an embedder that embeds in batches of a given size (the libtorch model takes one). */
export function withBatchSize(model: { dim: number; embed(texts: string[], batchSize?: number): Float32Array[] }, batchSize: number): TextEmbedder {
  return { dim: model.dim, embed: (texts) => model.embed(texts, batchSize) };
}

/** A view of an embedder whose vectors are their first d values, renormalised (a Matryoshka prefix). */
export function atDimensions(embedder: TextEmbedder, d: number): TextEmbedder {
  if (d >= embedder.dim) return embedder;
  const cut = async (vectors: Float32Array[] | Promise<Float32Array[]>) => (await vectors).map((v) => truncateVector(v, d));
  const queries = embedder.embedQueries?.bind(embedder);
  return { dim: d, embed: (texts) => cut(embedder.embed(texts)), ...(queries ? { embedQueries: (texts: string[]) => cut(queries(texts)) } : {}) };
}
