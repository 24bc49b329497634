/** Anything that turns texts into L2-normalised vectors: the libtorch model, or the ONNX Embedder. */
export interface TextEncoder {
  readonly dim: number;
  /** Embeddings in input order. */
  embed(texts: string[]): Float32Array[] | Promise<Float32Array[]>;
}
