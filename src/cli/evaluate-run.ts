import { readQrels, readTrecRun } from '../data/beir-files.js';
import { mtebResult } from '../eval/mteb-result.js';
import type { Command } from './command.js';

export const evaluateRunCommand: Command = {
  name: 'evaluate-run',
  summary: 'Score any system\'s TREC run file against qrels with trec_eval definitions (MTEB-shaped JSON on stdout).',
  flags: {
    run: { type: 'string', required: true, help: 'TREC run: qid Q0 docid rank score tag' },
    qrels: { type: 'string', required: true, help: 'qid<TAB>docid<TAB>score (or TREC qrels)' },
    'task-name': { type: 'string', default: 'run', help: 'dataset name in the JSON' },
    split: { type: 'string', default: 'dev', help: 'split key in the JSON' },
  },
  run(f) {
    const started = Date.now();
    const { result } = mtebResult(String(f['task-name']), String(f.run), String(f.split), readTrecRun(String(f.run)), readQrels(String(f.qrels)), (Date.now() - started) / 1000);
    console.log(JSON.stringify(result, null, 2));
  },
};
