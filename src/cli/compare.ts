// inbatch compare: side-by-side tables of result files and a recall@k chart; given two per-query
// files (--per-query of mteb, evaluate, evaluate-run), each metric's difference B - A with its
// paired-bootstrap confidence interval, and whether it is significant.
import { sidecarOfResultFile } from '../eval/mteb-result.js';
import { existsSync } from 'node:fs';
import { Option } from '@commander-js/extra-typings';
import { compareChart, compareTables, compareWithConfidence, formatConfidenceTable, scoresFromJson } from '../eval/compare.js';
import { checkPerQuery, PER_QUERY_FORMAT } from '../eval/per-query.js';
import { writeFileAtomic } from '../util/atomic.js';
import { readJsonObject } from '../util/json-file.js';
import type { Command } from './command.js';
import { intIn, numberWhere, pathValue, UsageError } from './flags.js';

export function addCompareCommand(program: Command): void {
  program.command('compare')
    .description('Side-by-side recall tables of result JSON files (inbatch mteb, inbatch evaluate --json) and an SVG chart; with two per-query files (--per-query), B - A per metric with a paired-bootstrap 95% CI.')
    .argument('<results...>', 'result JSON files, or two per-query files (A then B)')
    .addOption(new Option('--chart <file>', 'SVG chart to write').argParser(pathValue).default('compare.svg'))
    .addOption(new Option('--resamples <n>', 'bootstrap resamples').argParser(intIn(1000, 1_000_000)).default(2000))
    .addOption(new Option('--seed <n>', 'bootstrap seed').argParser(intIn(0)).default(1))
    .addOption(new Option('--confidence <c>', 'interval coverage').argParser(numberWhere((v) => v > 0.5 && v < 1, 'in (0.5, 1)')).default(0.95))
    .addOption(new Option('--json <file>', 'with per-query files: also write the comparison as JSON').argParser(pathValue))
    .action((files, f) => {
      const jsons = files.map((file) => readJsonObject(file));
      if (jsons.some((j) => j.format === PER_QUERY_FORMAT)) {
        if (files.length !== 2 || !jsons.every((j) => j.format === PER_QUERY_FORMAT)) throw new UsageError('a confidence comparison takes exactly two per-query files (A, then B)');
        const [a, b] = jsons.map((j, i) => checkPerQuery(j, files[i]!)) as [ReturnType<typeof checkPerQuery>, ReturnType<typeof checkPerQuery>];
        const o = { resamples: f.resamples, seed: f.seed, confidence: f.confidence };
        const rows = compareWithConfidence(a, b, o);
        console.log(formatConfidenceTable(a, b, rows, o));
        if (f.json) writeFileAtomic(f.json, JSON.stringify({ a: a.name, b: b.name, queries: a.queries.length, ...o, metrics: rows }, null, 2) + '\n');
        return;
      }
      const models = jsons.map((json, i) => {
        const file = files[i]!;
        // mteb's TaskResult leaves inbatch's extras (PaddleNLP hit rates) in a sidecar beside it
        const sidecarPath = sidecarOfResultFile(file);
        const sidecar = existsSync(sidecarPath) ? readJsonObject(sidecarPath) : undefined;
        return scoresFromJson(json, file, sidecar);
      });
      console.log(compareTables(models));
      writeFileAtomic(f.chart, compareChart(models));
      console.error(`chart: ${f.chart}`);
    });
}
