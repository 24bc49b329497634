// inbatch mine: hard negatives for training pairs, from the model's own ranking of a corpus,
// with a false-negative guard (see retrieval/hard-negatives.ts for the rules).
import { existsSync } from 'node:fs';
import { Option } from '@commander-js/extra-typings';
import { expandInputs } from '../data/input-files.js';
import { modelFingerprint } from '../model/fingerprint.js';
import { CorpusIndex } from '../retrieval/corpus-index.js';
import { parseStoreUrl } from '../retrieval/pgvector-store.js';
import { checkMiningOptions, DEFAULT_MINING, type MiningOptions } from '../retrieval/hard-negatives.js';
import { MAX_PAIR_COLUMNS, minePairs } from '../retrieval/mine-pairs.js';
import { withBatchSize } from '../retrieval/text-embedder.js';
import { removeStaleTemporaries, writeFileAtomic } from '../util/atomic.js';
import { checkNotInput } from '../util/output-folder.js';
import { basename, dirname, resolve } from 'node:path';
import type { Command } from './command.js';
import { embedBatchOption, hnswEfOption, hnswMOption, intIn, maxSeqLengthOption, modelDirOption, numberWhere, oneOf, pathValue, UsageError, paddleBaseOption } from './flags.js';
import { loadModelFromFlags } from './model-flags.js';

export function addMineCommand(program: Command): void {
  program.command('mine')
    .description('Mine hard negatives: rank a corpus for every training query and write query<TAB>positive<TAB>neg1...<TAB>negK.')
    .addOption(modelDirOption())
    .addOption(paddleBaseOption())
    .addOption(new Option('--train-set <files...>', 'query<TAB>positive[<TAB>hard negative...] files, folders or globs (plain or .gz)').makeOptionMandatory())
    .addOption(new Option('--corpus-file <file>', 'texts to mine from, one per line (embedded now)').argParser(pathValue))
    .addOption(new Option('--index <dir>', 'or an index folder written by inbatch recall or inbatch index with this model (no re-embedding)').argParser(pathValue))
    .addOption(new Option('--store <url>', 'or a pgvector table written by inbatch index --store with this model: postgres://user@host:port/db?table=NAME'))
    .addOption(new Option('--output <file>', 'the mined pairs').argParser(pathValue).makeOptionMandatory())
    .addOption(new Option('--negatives <k>', 'negatives mined per row').argParser(intIn(1, MAX_PAIR_COLUMNS - 2)).default(DEFAULT_MINING.negatives))
    .addOption(new Option('--range-min <n>', 'first rank that may be a negative (0-based; skips the top, where false negatives sit)').argParser(intIn(0, 100000)).default(DEFAULT_MINING.rangeMin))
    .addOption(new Option('--range-max <n>', 'ranks from --range-min up to this one (exclusive) are candidates').argParser(intIn(1, 100000)).default(DEFAULT_MINING.rangeMax))
    .addOption(new Option('--margin <m>', 'drop candidates scoring above cos(query, positive) - m (false-negative guard)').argParser(numberWhere((v) => v >= -2 && v <= 2, 'in [-2, 2]')).default(DEFAULT_MINING.margin))
    .addOption(new Option('--max-score <s>', 'drop candidates scoring above s').argParser(numberWhere((v) => v >= -1 && v <= 1, 'in [-1, 1]')).default(DEFAULT_MINING.maxScore))
    .addOption(new Option('--sampling <how>', 'top: the best remaining candidates | random: uniformly among them').argParser(oneOf('top', 'random')).default('top' as const))
    .addOption(new Option('--seed <n>', 'seed of --sampling random').argParser(intIn(0, 2 ** 32 - 1)).default(DEFAULT_MINING.seed))
    .addOption(new Option('--exact', 'brute-force search of the corpus instead of HNSW').default(false))
    .addOption(hnswMOption())
    .addOption(hnswEfOption())
    .addOption(embedBatchOption())
    .addOption(maxSeqLengthOption())
    .addOption(new Option('--skip-bad-lines', 'count and skip malformed lines instead of stopping at the first').default(false))
    .action(async (f) => {
      if ([f.corpusFile, f.index, f.store].filter((x) => x !== undefined).length !== 1) throw new UsageError('give exactly one of --corpus-file (embedded now), --index (from inbatch recall or index) and --store (pgvector)');
      const mining: MiningOptions = { negatives: f.negatives, rangeMin: f.rangeMin, rangeMax: f.rangeMax, margin: f.margin, maxScore: f.maxScore, sampling: f.sampling, seed: f.seed };
      try {
        checkMiningOptions(mining);
      } catch (e) {
        throw new UsageError(`--range-min/--range-max/--negatives: ${(e as Error).message}`);
      }
      const files = expandInputs(f.trainSet);
      checkNotInput(f.output, [...files, ...(f.corpusFile ? [f.corpusFile] : [])], '--output');
      // what a killed mine left beside its output and report
      for (const name of [basename(f.output), `${basename(f.output)}.report.json`]) removeStaleTemporaries(dirname(resolve(f.output)), name);
      const model = loadModelFromFlags(f.model, f);
      const embedder = withBatchSize(model, f.batchSize);
      const fingerprint = modelFingerprint(f.model, model.config);
      let corpus: CorpusIndex;
      if (f.index || f.store) {
        const loaded = f.index ? CorpusIndex.load(f.index) : await CorpusIndex.openStore(f.store!);
        if (JSON.stringify(loaded.embedder) !== JSON.stringify(fingerprint)) {
          throw new Error(`${f.index ?? parseStoreUrl(f.store!).display} was built by another model (or an older save of it) than ${f.model}: its rankings would not be this model's; rebuild it with inbatch recall --model ${f.model}`);
        }
        corpus = loaded;
      } else {
        if (!existsSync(f.corpusFile!)) throw new UsageError(`${f.corpusFile} does not exist`);
        corpus = await CorpusIndex.fromFile(embedder, f.corpusFile!, { kind: f.exact ? 'exact' : 'hnsw', hnsw: { m: f.hnswM, efConstruction: f.hnswEf, ef: Math.max(f.hnswEf, f.rangeMax) } });
      }
      const started = Date.now();
      const report = await minePairs(corpus, embedder, files, f.output, { mining, skipBadLines: f.skipBadLines }).finally(() => (corpus as Partial<{ close(): Promise<void> }>).close?.());
      const { badLines, ...counts } = report;
      writeFileAtomic(`${f.output}.report.json`, JSON.stringify({ options: mining, corpus_size: corpus.size, ...counts, bad_lines: badLines.map((e) => e.message), seconds: (Date.now() - started) / 1000 }, null, 2) + '\n');
      console.error(`${counts.rows} rows, ${counts.negatives} negatives mined; ${counts.short} row(s) got fewer than ${f.negatives} (${counts.empty} none)`);
      console.error(`candidates dropped: ${counts.droppedIdentity} the positive or query itself, ${counts.droppedMargin} within the margin, ${counts.droppedMaxScore} over --max-score, ${counts.droppedDuplicate} repeated`);
      if (report.badLineCount) console.error(`${report.badLineCount} bad line(s) skipped, e.g. ${badLines[0]!.message}`);
      console.log(f.output);
    });
}
