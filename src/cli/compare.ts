import { readFileSync } from 'node:fs';
import { compareChart, compareTables, scoresFromJson } from '../eval/compare.js';
import { writeFileAtomic } from '../util/atomic.js';
import type { Command } from './command.js';
import { UsageError } from './flags.js';

export const compareCommand: Command = {
  name: 'compare',
  summary: 'Side-by-side Recall tables of result JSON files, and an SVG chart of recall@k per model.',
  usage: 'RESULT.json RESULT.json ...',
  flags: {
    chart: { type: 'string', default: 'compare.svg', help: 'SVG chart to write' },
  },
  run(f, files) {
    if (!files.length) throw new UsageError('give one or more result JSON files');
    const models = files.map((file) => {
      let json: Record<string, unknown>;
      try {
        json = JSON.parse(readFileSync(file, 'utf8'));
      } catch (e) {
        throw new Error(`${file}: ${(e as Error).message}`);
      }
      return scoresFromJson(json, file);
    });
    console.log(compareTables(models));
    writeFileAtomic(String(f.chart), compareChart(models));
    console.error(`chart: ${f.chart}`);
  },
};
