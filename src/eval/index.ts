export * from './success-at-n.js';
export * from './trec-metrics.js';
export { taskResult, modelMeta, runSuccessPct, writeTaskResultFiles, sidecarOfResultFile, MTEB_FORMAT_VERSION, type TaskResult, type ModelMeta } from './mteb-result.js';
export { compareTables, compareChart, scoresFromJson, type ModelScores } from './compare.js';
export { lineChartSvg } from './svg-chart.js';
export { vectorDrift } from './vector-drift.js';
export { compareWithConfidence, formatConfidenceTable, type MetricComparison } from './compare.js';
export { pairedBootstrap, percentile, DEFAULT_BOOTSTRAP, type BootstrapOptions, type PairedDifference } from './bootstrap.js';
export { perQueryTrec, perQuerySuccess, checkPerQuery, PER_QUERY_FORMAT, type PerQueryScores } from './per-query.js';
