export type { VectorIndex } from './vector-index.js';
export { TopK, type Hit, type TopKOptions } from './topk.js';
export { ExactIndex } from './exact.js';
export { HnswIndex, DEFAULT_HNSW, type HnswOptions } from './hnsw.js';
export { createIndex, type IndexKind } from './create-index.js';
export { loadIndex } from './load-index.js';
export { readMatrix, writeMatrix, MatrixWriter } from './matrix-file.js';
