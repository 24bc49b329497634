// inbatch evaluate: PaddleNLP's evaluate.py over a recall result file.
import { Option } from '@commander-js/extra-typings';
import { DataFileError } from '../data/errors.js';
import { readDevPairs, readRecallResult } from '../data/paddle-recall-files.js';
import { formatSuccessTable, PADDLE_CUTOFFS, successAtN, successJson } from '../eval/success-at-n.js';
import { perQuerySuccess } from '../eval/per-query.js';
import { writeFileAtomic } from '../util/atomic.js';
import type { Command } from './command.js';
import { intIn, oneOf, pathValue } from './flags.js';

export function addEvaluateCommand(program: Command): void {
  program.command('evaluate')
    .description('PaddleNLP Recall@1/5/10/20/50 (% of queries with the gold text in the top N) of a recall result file.')
    .addOption(new Option('--similar-text-pair-file <file>', 'query<TAB>gold text per line').argParser(pathValue).makeOptionMandatory())
    .addOption(new Option('--recall-result-file <file>', 'query<TAB>text<TAB>cosine, recall-num lines per query').argParser(pathValue).makeOptionMandatory())
    .addOption(new Option('--recall-num <n>', 'lines per query in the result file').argParser(intIn(1, 10000)).default(50))
    .addOption(new Option('--json', 'print JSON {paddle_recall_pct: {success_at_N}} instead of the table').default(false))
    .addOption(new Option('--format <kind>', 'table | json | paddle (recall@N=V lines, as PaddleNLP\'s evaluate.py prints)').argParser(oneOf('table', 'json', 'paddle')).default('table' as const))
    .addOption(new Option('--model-name <name>', 'name stored in the JSON (for inbatch compare)'))
    .addOption(new Option('--per-query <file>', 'also write every query\'s hits (query ids: 1-based positions in the pair file) (for inbatch compare A B with confidence intervals)').argParser(pathValue))
    .action((f) => {
      const dev = readDevPairs(f.similarTextPairFile);
      let groups = readRecallResult(f.recallResultFile);
      // consecutive identical queries merge into one group; split them back by recall-num
      if (groups.length !== dev.length) {
        const n = f.recallNum;
        groups = groups.flatMap((g) => Array.from({ length: Math.ceil(g.texts.length / n) }, (_, k) => ({
          query: g.query, texts: g.texts.slice(k * n, (k + 1) * n), firstLine: g.firstLine + k * n,
        })));
      }
      if (groups.length !== dev.length) {
        throw new Error(`${f.recallResultFile}: results for ${groups.length} queries, but ${f.similarTextPairFile} has ${dev.length}`);
      }
      groups.forEach((g, i) => {
        if (g.query !== dev[i]!.query) throw new DataFileError(f.recallResultFile, g.firstLine, `query "${g.query}" but ${f.similarTextPairFile} query ${i + 1} is "${dev[i]!.query}"`);
      });
      const gold = dev.map((d) => new Set([d.gold])), recalled = groups.map((g) => g.texts), cutoffs = PADDLE_CUTOFFS.filter((n) => n <= f.recallNum);
      const table = successAtN(gold, recalled, cutoffs);
      if (f.perQuery) writeFileAtomic(f.perQuery, JSON.stringify(perQuerySuccess(f.modelName ?? f.recallResultFile, dev.map((_, i) => String(i + 1)), gold, recalled, cutoffs)) + '\n');
      if (f.json || f.format === 'json') console.log(JSON.stringify({ model_name: f.modelName ?? f.recallResultFile, queries: table.queries, paddle_recall_pct: successJson(table.successPct) }, null, 2));
      else if (f.format === 'paddle') console.log(Object.entries(table.successPct).map(([n, v]) => `recall@${n}=${v.toFixed(3)}`).join('\n'));
      else console.log(formatSuccessTable(table));
    });
}
