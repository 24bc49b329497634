// inbatch fuse: reciprocal rank fusion of any TREC runs (dense, BM25, another system's).
import { Option } from '@commander-js/extra-typings';
import { formatTrecRun, readTrecRun } from '../data/beir-files.js';
import { fuseRuns } from '../retrieval/fusion.js';
import { writeFileAtomic } from '../util/atomic.js';
import type { Command } from './command.js';
import { intIn, nonNegative, pathValue, UsageError, weightList } from './flags.js';

export function addFuseCommand(program: Command): void {
  program.command('fuse')
    .description('Fuse TREC runs by reciprocal rank fusion: score = sum of weight / (k + rank); writes a TREC run.')
    .addOption(new Option('--run <file>', 'a TREC run (qid Q0 docid rank score tag); give two or more').argParser((v: string, prev: string[] | undefined) => [...(prev ?? []), pathValue(v)]).makeOptionMandatory())
    .addOption(new Option('--weights <w1,w2,...>', 'one weight per run (default 1 each)').argParser(weightList()))
    .addOption(new Option('--k <k>', 'RRF constant k').argParser(nonNegative).default(60))
    .addOption(new Option('--depth <n>', 'ranks of each run that are fused (default: all)').argParser(intIn(1)))
    .addOption(new Option('--top-k <n>', 'documents kept per query').argParser(intIn(1)).default(1000))
    .addOption(new Option('--tag <name>', 'run tag written in the last column').default('inbatch-rrf'))
    .addOption(new Option('--output <file>', 'the fused TREC run').argParser(pathValue).makeOptionMandatory())
    .action((f) => {
      if (f.run.length < 2) throw new UsageError('--run must be given at least twice (the runs to fuse)');
      if (f.weights && f.weights.length !== f.run.length) throw new UsageError(`--weights has ${f.weights.length} value(s) for ${f.run.length} runs`);
      if (/\s/.test(f.tag)) throw new UsageError('--tag must not contain spaces');
      const fused = fuseRuns(f.run.map(readTrecRun), { k: f.k, weights: f.weights, depth: f.depth, limit: f.topK });
      writeFileAtomic(f.output, formatTrecRun(fused, f.tag));
      console.error(`fused ${f.run.length} runs over ${fused.size} queries -> ${f.output}`);
    });
}
