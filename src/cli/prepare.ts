// inbatch prepare: pair files -> token shards that `train --train-set DIR` streams from.
import { availableParallelism } from 'node:os';
import { Option } from '@commander-js/extra-typings';
import { prepareShards } from '../data/prepared/prepare.js';
import { PreparedData } from '../data/prepared/reader.js';
import { readModelConfig } from '../model/config-file.js';
import { loadTokenizer } from '../text/load-tokenizer.js';
import { checkReplaceable } from '../util/output-folder.js';
import type { Command } from './command.js';
import { intIn, maxSeqLengthOption, modelDirOption, pathValue } from './flags.js';

export function addPrepareCommand(program: Command): void {
  program.command('prepare')
    .description('Tokenise pair files (plain or .gz; files, folders or name globs) into shards that train streams from, in bounded memory.')
    .addOption(new Option('--train-set <files...>', 'query<TAB>positive[<TAB>hard negative...] files, folders or globs like data/*.tsv.gz').makeOptionMandatory())
    .addOption(modelDirOption('model folder whose tokenizer (and max_seq_length) to use'))
    .addOption(maxSeqLengthOption())
    .addOption(new Option('--output <dir>', 'the prepared folder').argParser(pathValue).makeOptionMandatory())
    .addOption(new Option('--workers <n>', 'tokenising threads').argParser(intIn(0, 64)).default(Math.min(2, availableParallelism())))
    .addOption(new Option('--shard-rows <n>', 'rows per shard (the writer holds one shard\'s row records, ~40 bytes a row)').argParser(intIn(1000)).default(1_000_000))
    .addOption(new Option('--skip-bad-lines', 'count malformed lines (the first 100 go into the manifest) and go on').default(false))
    .addOption(new Option('--overwrite', 'replace --output even when it is not a prepared folder').default(false))
    .action(async (f) => {
      checkReplaceable(f.output, { flag: '--output', what: 'prepared folder', isSameKind: (d) => PreparedData.isPrepared(d), overwrite: f.overwrite, inputs: f.trainSet });
      const config = readModelConfig(f.model);
      const started = Date.now();
      const manifest = await prepareShards(f.trainSet, loadTokenizer(f.model), f.output, {
        maxSeqLength: f.maxSeqLength ?? config.inbatch.max_seq_length, workers: f.workers, skipBadLines: f.skipBadLines, shardRows: f.shardRows,
      });
      const seconds = (Date.now() - started) / 1000;
      const lines = manifest.sources.reduce((n, s) => n + s.lines, 0);
      if (manifest.bad_lines.count) console.error(`skipped ${manifest.bad_lines.count} bad line(s), first: ${manifest.bad_lines.first[0]}`);
      console.error(`${manifest.rows} rows, ${manifest.tokens} tokens in ${manifest.shards.length} shard(s) from ${manifest.sources.length} file(s); ${(lines / seconds).toFixed(0)} lines/s`);
      console.log(f.output);
    });
}
