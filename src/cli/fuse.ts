// inbatch fuse: fusion of any TREC runs (dense, BM25, another system's): reciprocal rank fusion with
// explicit weights, or the fusion recall fitted for an index (--fusion INDEX/fusion.json).
import { Option } from '@commander-js/extra-typings';
import { formatTrecRun, readTrecRun } from '../data/beir-files.js';
import { fuseRuns } from '../retrieval/fusion.js';
import { describeFusion } from '../retrieval/fusion-calibration.js';
import { writeFileAtomic } from '../util/atomic.js';
import { checkNotInput } from '../util/output-folder.js';
import { readSavedFit } from './fusion-choice.js';
import type { Command } from './command.js';
import { intIn, nonNegative, pathValue, UsageError, weightList } from './flags.js';

/** Explicit weights; or auto: a fitted fusion.json (two runs, dense then bm25), else equal weights, said so. */
function fusionOf(weights: number[] | 'auto', file: string | undefined, runs: number, k: number): { method: 'rrf' | 'convex'; k: number; weights?: number[] } {
  if (weights !== 'auto') return { method: 'rrf', k, weights };
  if (!file) {
    console.error('--weights auto without --fusion FILE: no calibration to use, so the runs get equal weights (RRF k ' + k + '); fit one with inbatch recall --retriever hybrid');
    return { method: 'rrf', k };
  }
  const fit = readSavedFit(file);
  if (!fit) throw new UsageError(`--fusion ${file} does not exist`);
  if (runs !== 2) throw new UsageError(`--fusion fits two runs (dense, then bm25); ${runs} were given`);
  console.error(describeFusion(fit));
  if (fit.retriever !== 'hybrid') return { method: 'rrf', k: fit.hybrid.rrfK, weights: fit.retriever === 'dense' ? [1, 0] : [0, 1] };
  return { method: fit.hybrid.method, k: fit.hybrid.rrfK, weights: [fit.hybrid.denseWeight, fit.hybrid.bm25Weight] };
}

export function addFuseCommand(program: Command): void {
  program.command('fuse')
    .description('Fuse TREC runs by reciprocal rank fusion: score = sum of weight / (k + rank); writes a TREC run.')
    .addOption(new Option('--run <file>', 'a TREC run (qid Q0 docid rank score tag); give two or more').argParser((v: string, prev: string[] | undefined) => [...(prev ?? []), pathValue(v)]).makeOptionMandatory())
    .addOption(new Option('--weights <auto|w1,w2,...>', 'one weight per run, or auto: the fusion fitted by recall (--fusion INDEX/fusion.json; runs given dense first, then bm25)')
      .argParser((raw: string): number[] | 'auto' => (raw === 'auto' ? 'auto' : weightList()(raw))).default('auto' as number[] | 'auto'))
    .addOption(new Option('--fusion <file>', 'with --weights auto: a fusion.json written beside an index by inbatch recall --retriever hybrid').argParser(pathValue))
    .addOption(new Option('--k <k>', 'RRF constant k (with explicit weights)').argParser(nonNegative).default(60))
    .addOption(new Option('--depth <n>', 'ranks of each run that are fused (default: all)').argParser(intIn(1)))
    .addOption(new Option('--top-k <n>', 'documents kept per query').argParser(intIn(1)).default(1000))
    .addOption(new Option('--tag <name>', 'run tag written in the last column').default('inbatch-rrf'))
    .addOption(new Option('--output <file>', 'the fused TREC run').argParser(pathValue).makeOptionMandatory())
    .action((f) => {
      if (f.run.length < 2) throw new UsageError('--run must be given at least twice (the runs to fuse)');
      if (f.weights !== 'auto' && f.weights.length !== f.run.length) throw new UsageError(`--weights has ${f.weights.length} value(s) for ${f.run.length} runs`);
      if (/\s/.test(f.tag)) throw new UsageError('--tag must not contain spaces');
      checkNotInput(f.output, [...f.run, ...(f.fusion ? [f.fusion] : [])], '--output');
      const fusion = fusionOf(f.weights, f.fusion, f.run.length, f.k);
      const fused = fuseRuns(f.run.map(readTrecRun), { ...fusion, depth: f.depth, limit: f.topK });
      writeFileAtomic(f.output, formatTrecRun(fused, f.tag));
      console.error(`fused ${f.run.length} runs over ${fused.size} queries -> ${f.output}`);
    });
}
