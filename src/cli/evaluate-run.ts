// inbatch evaluate-run: trec_eval metrics of any system's TREC run.
import { Option } from '@commander-js/extra-typings';
import { readQrels, readTrecRun } from '../data/beir-files.js';
import { basename } from 'node:path';
import { datasetRevision, taskResult, writeTaskResultFiles } from '../eval/mteb-result.js';
import { perQueryTrec } from '../eval/per-query.js';
import { writeFileAtomic } from '../util/atomic.js';
import type { Command } from './command.js';
import { pathValue } from './flags.js';

export function addEvaluateRunCommand(program: Command): void {
  program.command('evaluate-run')
    .description('Score any system\'s TREC run file against qrels with trec_eval definitions (mteb\'s TaskResult JSON on stdout).')
    .addOption(new Option('--run <file>', 'TREC run: qid Q0 docid rank score tag').argParser(pathValue).makeOptionMandatory())
    .addOption(new Option('--qrels <file>', 'qid<TAB>docid<TAB>score (or TREC qrels)').argParser(pathValue).makeOptionMandatory())
    .addOption(new Option('--task-name <name>', 'dataset name in the JSON').default('run'))
    .addOption(new Option('--split <name>', 'split key in the JSON').default('dev'))
    .addOption(new Option('--model-name <name>', 'model name in model_meta.json and the results path (default: the run file\'s name)'))
    .addOption(new Option('--revision <rev>', 'model revision in the results path').default('no_revision_available'))
    .addOption(new Option('--languages <codes>', 'comma-separated ISO 639-3 + script codes of the task, e.g. cmn-Hans').default(''))
    .addOption(new Option('--dataset-revision <rev>', 'the data\'s revision in the JSON (default: sha256: of the qrels file)'))
    .addOption(new Option('--output-folder <dir>', 'also write mteb\'s results layout there (as inbatch mteb does)').argParser(pathValue))
    .addOption(new Option('--per-query <file>', 'also write every query\'s scores (for inbatch compare A B with confidence intervals)').argParser(pathValue))
    .action((f) => {
      const started = Date.now();
      const run = readTrecRun(f.run), qrels = readQrels(f.qrels);
      const model = { name: f.modelName ?? basename(f.run).replace(/\.[^.]*$/, ''), revision: f.revision, kind: 'run' as const };
      const languages = f.languages.split(',').map((l) => l.trim()).filter(Boolean);
      const files = taskResult({ taskName: f.taskName, model, split: f.split, languages, run, qrels, evaluationSeconds: (Date.now() - started) / 1000,
        datasetRevision: datasetRevision(f.datasetRevision, [f.qrels]) });
      if (f.outputFolder) console.error(`-> ${writeTaskResultFiles(f.outputFolder, files).result}`);
      if (f.perQuery) writeFileAtomic(f.perQuery, JSON.stringify(perQueryTrec(f.run, run, qrels)) + '\n');
      // the TaskResult, as mteb writes it (inbatch's hit rates are in the sidecar with --output-folder)
      console.log(JSON.stringify(files.result, null, 2));
    });
}
