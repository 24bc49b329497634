import { readDevPairs, readRecallResult } from '../data/paddle-recall-files.js';
import { DataFileError } from '../data/errors.js';
import { formatRecallTable, PADDLE_CUTOFFS, recallAtN } from '../eval/recall-at-n.js';
import type { Command } from './command.js';

export const evaluateCommand: Command = {
  name: 'evaluate',
  summary: 'PaddleNLP Recall@1/5/10/20/50 of a recall result file against query<TAB>gold pairs.',
  flags: {
    'similar-text-pair-file': { type: 'string', required: true, help: 'query<TAB>gold text per line' },
    'recall-result-file': { type: 'string', required: true, help: 'query<TAB>text<TAB>cosine, recall-num lines per query' },
    'recall-num': { type: 'int', default: 50, help: 'lines per query in the result file' },
    json: { type: 'boolean', default: false, help: 'print JSON instead of the table' },
    'model-name': { type: 'string', help: 'name stored in the JSON (for inbatch compare)' },
  },
  run(f) {
    const devFile = String(f['similar-text-pair-file']);
    const resultFile = String(f['recall-result-file']);
    const dev = readDevPairs(devFile);
    let groups = readRecallResult(resultFile);
    // consecutive identical queries merge into one group; split them back by recall-num
    if (groups.length !== dev.length) {
      const n = Number(f['recall-num']);
      groups = groups.flatMap((g) => Array.from({ length: Math.ceil(g.texts.length / n) }, (_, k) => ({
        query: g.query, texts: g.texts.slice(k * n, (k + 1) * n), firstLine: g.firstLine + k * n,
      })));
    }
    if (groups.length !== dev.length) {
      throw new Error(`${resultFile}: results for ${groups.length} queries, but ${devFile} has ${dev.length}`);
    }
    groups.forEach((g, i) => {
      if (g.query !== dev[i]!.query) throw new DataFileError(resultFile, g.firstLine, `query "${g.query}" but ${devFile} query ${i + 1} is "${dev[i]!.query}"`);
    });
    const cutoffs = PADDLE_CUTOFFS.filter((n) => n <= Number(f['recall-num']));
    const table = recallAtN(dev.map((d) => new Set([d.gold])), groups.map((g) => g.texts), cutoffs);
    if (f.json) {
      const recall: Record<string, number> = {};
      for (const [k, v] of Object.entries(table.recall)) recall[`recall_at_${k}`] = v;
      console.log(JSON.stringify({ model_name: f['model-name'] ?? resultFile, queries: table.queries, paddle_recall: recall }, null, 2));
    } else console.log(formatRecallTable(table));
  },
};
