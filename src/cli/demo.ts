// The end-to-end demo: poetry couplets -> vocabulary -> small model -> Recall@N before,
// time-bounded training, Recall@N after, and example queries with their top 5.
import { writeFileSync } from 'node:fs';
import { makeDir } from '../util/make-dir.js';
import { join } from 'node:path';
import { Option } from '@commander-js/extra-typings';
import { buildPoetryDataset } from '../demo/poetry-dataset.js';
import { formatSuccessTable } from '../eval/success-at-n.js';
import { presetConfig, PRESETS } from '../model/config.js';
import { DualEncoder } from '../model/dual-encoder.js';
import { CorpusIndex } from '../retrieval/corpus-index.js';
import { RecallEvaluator } from '../retrieval/recall-evaluator.js';
import { BertTokenizer } from '../text/bert-tokenizer.js';
import * as T from '../torch/index.js';
import { prepareTrainingData } from '../train/training-data.js';
import { Trainer } from '../train/trainer.js';
import type { Command } from './command.js';
import { intIn, oneOf, pathValue, positive, probability } from './flags.js';
import { trainingCalibrationFile } from '../data/calibration-pairs.js';

const CUTOFFS = [1, 5, 10, 20, 50];

export function addDemoCommand(program: Command): void {
  program.command('demo')
    .description('End to end on Tang poetry couplets (npm chinese-poetry): Recall@N before and after a time-bounded training run.')
    .addOption(new Option('--minutes <m>', 'training time budget').argParser(positive).default(10))
    .addOption(new Option('--poems <n>', 'Tang poems to read').argParser(intIn(10)).default(30000))
    .addOption(new Option('--dev-poems <n>', 'whole poems held out for the dev set').argParser(intIn(1)).default(500))
    .addOption(new Option('--config <name>', Object.keys(PRESETS).join(' | ')).argParser(oneOf('tiny', 'small', 'base')).default('small' as const))
    .addOption(new Option('--batch-size <n>', 'pairs per batch').argParser(intIn(2)).default(64))
    .addOption(new Option('--learning-rate <lr>', 'peak learning rate (from random initialisation)').argParser(positive).default(5e-4))
    .addOption(new Option('--work-dir <dir>', 'data, model and logs go here').argParser(pathValue).default('runs/demo'))
    .addOption(new Option('--seed <n>', 'data split, initialisation and training seed').argParser(intIn(0)).default(7))
    .addOption(new Option('--dropout <p>', 'dropout everywhere; from random initialisation its noise drowns the weak early signal').argParser(probability).default(0))
    .action(async (f) => {
      T.loadNative();
      const work = f.workDir;
      makeDir(work);
      const data = buildPoetryDataset(f.poems, f.devPoems, f.seed);
      writeFileSync(join(work, 'train.tsv'), data.train.map((c) => `${c.first}\t${c.second}\n`).join(''));
      writeFileSync(join(work, 'dev.tsv'), data.dev.map((c) => `${c.first}\t${c.second}\n`).join(''));
      writeFileSync(join(work, 'corpus.txt'), data.corpus.join('\n') + '\n');
      console.log(`data: ${data.train.length} training couplets from ${data.poems.train} poems; dev ${data.dev.length} queries over a corpus of ${data.corpus.length} lines from ${data.poems.dev} held-out poems (${work})`);

      // a character vocabulary: every CJK character is its own token in BERT tokenization
      const vocab = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', ...data.characters];
      const tokenizer = new BertTokenizer(new Map(vocab.map((t, i) => [t, i])));
      const config = {
        ...presetConfig(f.config, tokenizer.vocabSize, { pooling: 'mean', output_emb_size: 256, max_seq_length: 32, dropout: f.dropout }),
        hidden_dropout_prob: f.dropout, attention_probs_dropout_prob: f.dropout,
      };
      const model = DualEncoder.random(config, tokenizer, f.seed);
      const evaluator = new RecallEvaluator(data.dev.map((c) => ({ query: c.first, gold: c.second })), data.corpus, { recallNum: 50, excludeQueryText: true });

      const before = await evaluator.evaluate(model);
      const trainer = new Trainer(model, prepareTrainingData(data.train.map((c, i) => ({ query: c.first, positive: c.second, line: i + 1 })), tokenizer, 32), {
        saveDir: join(work, 'model'), batchSize: f.batchSize, learningRate: f.learningRate, epochs: 100,
        warmupProportion: 0.05, seed: f.seed, saveSteps: 0, timeBudgetSeconds: f.minutes * 60, loggingSteps: 20, overwrite: true,
      }, { modelFiles: await trainingCalibrationFile([join(work, 'train.tsv')], f.seed) });
      console.log(`training the ${f.config} config (${config.num_hidden_layers} layers, hidden ${config.hidden_size}, mean pooling, dropout ${f.dropout}) for about ${f.minutes} minute(s)...`);
      const result = await trainer.train();
      const after = await evaluator.evaluate(model);

      const row = (name: string, s: Record<string, number>) => `${name.padEnd(10)}${CUTOFFS.map((k) => s[`success_at_${k}`]!.toFixed(2).padStart(10)).join('')}`;
      console.log(`\nRecall@N on ${data.dev.length} held-out couplets (${result.state.globalStep} steps, final loss ${result.finalLoss.toFixed(3)}):`);
      console.log(`${''.padEnd(10)}${CUTOFFS.map((k) => `recall@${k}`.padStart(10)).join('')}`);
      console.log(row('untrained', before.scores));
      console.log(row('trained', after.scores));

      const corpus = await CorpusIndex.fromTexts(model, data.corpus);
      const examples = [0, Math.floor(data.dev.length / 2), data.dev.length - 1].map((i) => data.dev[i]!);
      const hits = await corpus.search(examples.map((e) => e.first), 6, { embedder: model });
      examples.forEach((e, i) => {
        console.log(`\nquery: ${e.first}    (gold: ${e.second})`);
        const found = hits[i]!.map((h) => ({ text: corpus.textOf(h.id), score: h.score })).filter((h) => h.text !== e.first);
        found.slice(0, 5).forEach((h, r) => console.log(`  ${r + 1}. ${h.text}  ${h.score.toFixed(3)}${h.text === e.second ? '  <- gold' : ''}`));
      });
      writeFileSync(join(work, 'recall.json'), JSON.stringify({ before: before.scores, after: after.scores, steps: result.state.globalStep }, null, 2));
      const successPct = Object.fromEntries(CUTOFFS.map((k) => [k, after.scores[`success_at_${k}`]!]));
      console.log(`\nmodel: ${result.finalDir}; loss curve: ${join(work, 'model', 'loss.svg')}; formatted table:\n${formatSuccessTable({ queries: data.dev.length, successPct })}`);
    });
}
