// inbatch evaluate-run: trec_eval metrics of any system's TREC run.
import { Option } from '@commander-js/extra-typings';
import { readQrels, readTrecRun } from '../data/beir-files.js';
import { mtebResult } from '../eval/mteb-result.js';
import { perQueryTrec } from '../eval/per-query.js';
import { writeFileAtomic } from '../util/atomic.js';
import type { Command } from './command.js';
import { pathValue } from './flags.js';

export function addEvaluateRunCommand(program: Command): void {
  program.command('evaluate-run')
    .description('Score any system\'s TREC run file against qrels with trec_eval definitions (MTEB-shaped JSON on stdout).')
    .addOption(new Option('--run <file>', 'TREC run: qid Q0 docid rank score tag').argParser(pathValue).makeOptionMandatory())
    .addOption(new Option('--qrels <file>', 'qid<TAB>docid<TAB>score (or TREC qrels)').argParser(pathValue).makeOptionMandatory())
    .addOption(new Option('--task-name <name>', 'dataset name in the JSON').default('run'))
    .addOption(new Option('--split <name>', 'split key in the JSON').default('dev'))
    .addOption(new Option('--per-query <file>', 'also write every query\'s scores (for inbatch compare A B with confidence intervals)').argParser(pathValue))
    .action((f) => {
      const started = Date.now();
      const run = readTrecRun(f.run), qrels = readQrels(f.qrels);
      const { result } = mtebResult(f.taskName, f.run, f.split, run, qrels, (Date.now() - started) / 1000);
      if (f.perQuery) writeFileAtomic(f.perQuery, JSON.stringify(perQueryTrec(f.run, run, qrels)) + '\n');
      console.log(JSON.stringify(result, null, 2));
    });
}
