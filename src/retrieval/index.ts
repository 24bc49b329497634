export type { TextEmbedder } from './text-embedder.js';
export { withBatchSize } from './text-embedder.js';
export { CorpusIndex, DEFAULT_INDEX_SPEC, type IndexSpec, type TextHit } from './corpus-index.js';
export { embedCorpus, type EmbedCorpusOptions } from './embed-corpus.js';
export { EmbeddingCache } from './embedding-cache.js';
export { RecallEvaluator, type RecallEvaluatorOptions, type RecallEvaluation } from './recall-evaluator.js';
