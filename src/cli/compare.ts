// inbatch compare: side-by-side tables of result files and a recall@k chart.
import { existsSync, readFileSync } from 'node:fs';
import { Option } from '@commander-js/extra-typings';
import { compareChart, compareTables, scoresFromJson } from '../eval/compare.js';
import { writeFileAtomic } from '../util/atomic.js';
import type { Command } from './command.js';
import { pathValue } from './flags.js';

export function addCompareCommand(program: Command): void {
  program.command('compare')
    .description('Side-by-side recall tables of result JSON files (inbatch mteb, inbatch evaluate --json) and an SVG chart of recall@k per model.')
    .argument('<results...>', 'result JSON files')
    .addOption(new Option('--chart <file>', 'SVG chart to write').argParser(pathValue).default('compare.svg'))
    .action((files, f) => {
      const models = files.map((file) => {
        let json: Record<string, unknown>;
        try {
          json = JSON.parse(readFileSync(file, 'utf8'));
        } catch (e) {
          throw new Error(`${file}: ${(e as Error).message}`);
        }
        // mteb's TaskResult leaves inbatch's extras (PaddleNLP hit rates) in a sidecar beside it
        const sidecarPath = file.replace(/\.json$/, '.inbatch.json');
        const sidecar = sidecarPath !== file && existsSync(sidecarPath) ? JSON.parse(readFileSync(sidecarPath, 'utf8')) as Record<string, unknown> : undefined;
        return scoresFromJson(json, file, sidecar);
      });
      console.log(compareTables(models));
      writeFileAtomic(f.chart, compareChart(models));
      console.error(`chart: ${f.chart}`);
    });
}
