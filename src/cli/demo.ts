// The end-to-end demo: poetry couplets -> vocabulary -> small model -> Recall@N before,
// time-bounded training, Recall@N after, and example queries with their top 5.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildPoetryDataset } from '../demo/poetry-dataset.js';
import { formatRecallTable } from '../eval/recall-at-n.js';
import { HnswIndex } from '../index/hnsw.js';
import { presetConfig } from '../model/config.js';
import { DualEncoder } from '../model/dual-encoder.js';
import { BertTokenizer } from '../text/bert-tokenizer.js';
import * as T from '../torch/index.js';
import { RecallEvaluator } from '../train/recall-evaluator.js';
import { prepareTrainingData } from '../train/training-data.js';
import { Trainer } from '../train/trainer.js';
import type { Command } from './command.js';

export const demoCommand: Command = {
  name: 'demo',
  summary: 'End to end on Tang poetry couplets (npm chinese-poetry): Recall@N before and after a time-bounded training run.',
  flags: {
    minutes: { type: 'number', default: 10, help: 'training time budget' },
    poems: { type: 'int', default: 30000, help: 'Tang poems to read' },
    'dev-poems': { type: 'int', default: 500, help: 'whole poems held out for the dev set' },
    config: { type: 'string', default: 'small', help: 'tiny | small | base' },
    'batch-size': { type: 'int', default: 64, help: 'pairs per batch' },
    'learning-rate': { type: 'number', default: 5e-4, help: 'peak learning rate (from random initialisation)' },
    'work-dir': { type: 'string', default: 'runs/demo', help: 'data, model and logs go here' },
    seed: { type: 'int', default: 7, help: 'data split, initialisation and training seed' },
    dropout: { type: 'number', default: 0, help: 'dropout everywhere; from random initialisation its noise drowns the weak early signal' },
  },
  async run(f) {
    T.loadNative();
    const work = String(f['work-dir']);
    mkdirSync(work, { recursive: true });
    const data = buildPoetryDataset(Number(f.poems), Number(f['dev-poems']), Number(f.seed));
    writeFileSync(join(work, 'train.tsv'), data.train.map((c) => `${c.first}\t${c.second}\n`).join(''));
    writeFileSync(join(work, 'dev.tsv'), data.dev.map((c) => `${c.first}\t${c.second}\n`).join(''));
    writeFileSync(join(work, 'corpus.txt'), data.corpus.join('\n') + '\n');
    console.log(`data: ${data.train.length} training couplets from ${data.poems.train} poems; dev ${data.dev.length} queries over a corpus of ${data.corpus.length} lines from ${data.poems.dev} held-out poems (${work})`);

    // a character vocabulary: every CJK character is its own token in BERT tokenization
    const vocab = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', ...data.characters];
    const tokenizer = new BertTokenizer(new Map(vocab.map((t, i) => [t, i])));
    const dropout = Number(f.dropout);
    const config = {
      ...presetConfig(String(f.config), tokenizer.vocabSize, { pooling: 'mean', output_emb_size: 256, max_seq_length: 32, dropout }),
      hidden_dropout_prob: dropout, attention_probs_dropout_prob: dropout,
    };
    const model = DualEncoder.random(config, tokenizer, Number(f.seed));
    const evaluator = new RecallEvaluator(data.dev.map((c) => ({ query: c.first, gold: c.second })), data.corpus, { recallNum: 50, excludeQueryText: true });

    const before = evaluator.evaluate(model);
    const trainer = new Trainer(model, prepareTrainingData(data.train.map((c, i) => ({ query: c.first, positive: c.second, line: i + 1 })), tokenizer, 32), {
      saveDir: join(work, 'model'), batchSize: Number(f['batch-size']), learningRate: Number(f['learning-rate']), epochs: 100,
      warmupProportion: 0.05, seed: Number(f.seed), saveSteps: 0, timeBudgetSeconds: Number(f.minutes) * 60, loggingSteps: 20,
    });
    console.log(`training the ${f.config} config (${config.num_hidden_layers} layers, hidden ${config.hidden_size}, mean pooling, dropout ${dropout}) for about ${f.minutes} minute(s)...`);
    const result = await trainer.train();
    const after = evaluator.evaluate(model);

    const row = (name: string, r: Record<number, number>) => `${name.padEnd(10)}${[1, 5, 10, 20, 50].map((k) => r[k]!.toFixed(2).padStart(10)).join('')}`;
    console.log(`\nRecall@N on ${data.dev.length} held-out couplets (${result.state.globalStep} steps, final loss ${result.finalLoss.toFixed(3)}):`);
    console.log(`${''.padEnd(10)}${[1, 5, 10, 20, 50].map((k) => `recall@${k}`.padStart(10)).join('')}`);
    console.log(row('untrained', before.recall));
    console.log(row('trained', after.recall));

    const index = new HnswIndex(model.embeddingSize, data.corpus.length);
    index.add(model.embed(data.corpus));
    const examples = [0, Math.floor(data.dev.length / 2), data.dev.length - 1].map((i) => data.dev[i]!);
    const hits = index.search(model.embed(examples.map((e) => e.first)), 6);
    examples.forEach((e, i) => {
      console.log(`\nquery: ${e.first}    (gold: ${e.second})`);
      hits[i]!.filter((h) => data.corpus[h.id] !== e.first).slice(0, 5).forEach((h, r) => console.log(`  ${r + 1}. ${data.corpus[h.id]}  ${h.score.toFixed(3)}${data.corpus[h.id] === e.second ? '  <- gold' : ''}`));
    });
    writeFileSync(join(work, 'recall.json'), JSON.stringify({ before: before.recall, after: after.recall, steps: result.state.globalStep }, null, 2));
    console.log(`\nmodel: ${result.finalDir}; loss curve: ${join(work, 'model', 'loss.svg')}; formatted table:\n${formatRecallTable({ queries: data.dev.length, recall: after.recall })}`);
  },
};
