export { Analyzer, ANALYZER_NAME, DEFAULT_ANALYZER, type AnalyzerOptions } from './analyzer.js';
export { Bm25Builder, Bm25Index, DEFAULT_BM25, checkBm25Params, type Bm25Params } from './bm25-index.js';
