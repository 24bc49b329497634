// inbatch split: a user's pairs or search log -> DIR/train.tsv (the pairs left for training) and
// DIR/test/ in both layouts (BEIR queries/corpus/qrels.tsv, PaddleNLP dev.tsv/corpus.txt), with no
// query or positive text shared across the sides, and DIR/manifest.json (counts, hashes, seed).
import { Option } from '@commander-js/extra-typings';
import { DEFAULT_SPLIT, isSplitFolder, splitPairs } from '../data/split.js';
import { checkReplaceable } from '../util/output-folder.js';
import type { Command } from './command.js';
import { intIn, pathValue } from './flags.js';

export function addSplitCommand(program: Command): void {
  program.command('split')
    .description('Hold out a leak-free retrieval test set from query<TAB>clicked-text pairs: DIR/train.tsv and DIR/test/ (BEIR and PaddleNLP layouts).')
    .addOption(new Option('--pairs <files...>', 'query<TAB>positive[<TAB>...] files, folders or globs (.gz too)').makeOptionMandatory())
    .addOption(new Option('--output <dir>', 'the split folder (written atomically)').argParser(pathValue).makeOptionMandatory())
    .addOption(new Option('--test-queries <n>', 'distinct queries held out').argParser(intIn(1, 10_000_000)).default(1000))
    .addOption(new Option('--seed <n>', 'which queries are held out, and the distractor sample').argParser(intIn(0)).default(DEFAULT_SPLIT.seed))
    .addOption(new Option('--distractors <file>', 'texts added to the test corpus (one per line); default: positives of the train side').argParser(pathValue))
    .addOption(new Option('--max-distractors <n>', 'most distractor texts').argParser(intIn(0, 100_000_000)).default(DEFAULT_SPLIT.maxDistractors))
    .addOption(new Option('--max-component-queries <n>', 'queries linked by shared texts that may be held out together (larger groups stay in train)').argParser(intIn(1)).default(DEFAULT_SPLIT.maxComponentQueries))
    .addOption(new Option('--overwrite', 'replace a non-empty --output that is not an earlier split').default(false))
    .action(async (f) => {
      checkReplaceable(f.output, { flag: '--output', what: 'split folder', isSameKind: isSplitFolder, overwrite: f.overwrite, inputs: [...f.pairs, ...(f.distractors ? [f.distractors] : [])] });
      const m = await splitPairs(f.pairs, f.output, {
        testQueries: f.testQueries, seed: f.seed, distractorsFile: f.distractors, maxDistractors: f.maxDistractors, maxComponentQueries: f.maxComponentQueries,
      });
      console.error(`${m.rows} rows: ${m.train_rows} for training, ${m.test.rows} held out (${m.test.queries} queries; corpus ${m.test.corpus} texts = ${m.test.positives} positives + ${m.test.distractors} distractors)`);
      if (m.components.skipped_too_large) console.error(`${m.components.skipped_too_large} group(s) of more than ${f.maxComponentQueries} linked queries stayed on the train side`);
      console.log(f.output);
    });
}
