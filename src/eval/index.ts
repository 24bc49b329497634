export * from './success-at-n.js';
export * from './trec-metrics.js';
export { mtebResult, taskResult, runSuccessPct, type MtebResult, type TaskResult } from './mteb-result.js';
export { compareTables, compareChart, scoresFromJson, type ModelScores } from './compare.js';
export { lineChartSvg } from './svg-chart.js';
export { vectorDrift } from './vector-drift.js';
