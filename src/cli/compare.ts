// inbatch compare: side-by-side tables of result files and a recall@k chart.
import { existsSync } from 'node:fs';
import { Option } from '@commander-js/extra-typings';
import { compareChart, compareTables, scoresFromJson } from '../eval/compare.js';
import { writeFileAtomic } from '../util/atomic.js';
import type { Command } from './command.js';
import { pathValue } from './flags.js';
import { readJsonObject } from '../util/json-file.js';

export function addCompareCommand(program: Command): void {
  program.command('compare')
    .description('Side-by-side recall tables of result JSON files (inbatch mteb, inbatch evaluate --json) and an SVG chart of recall@k per model.')
    .argument('<results...>', 'result JSON files')
    .addOption(new Option('--chart <file>', 'SVG chart to write').argParser(pathValue).default('compare.svg'))
    .action((files, f) => {
      const models = files.map((file) => {
        const json = readJsonObject(file);
        // mteb's TaskResult leaves inbatch's extras (PaddleNLP hit rates) in a sidecar beside it
        const sidecarPath = file.replace(/\.json$/, '.inbatch.json');
        const sidecar = sidecarPath !== file && existsSync(sidecarPath) ? readJsonObject(sidecarPath) : undefined;
        return scoresFromJson(json, file, sidecar);
      });
      console.log(compareTables(models));
      writeFileAtomic(f.chart, compareChart(models));
      console.error(`chart: ${f.chart}`);
    });
}
