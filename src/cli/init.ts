// inbatch init: a randomly initialised model folder. From random weights, CLS pooling and
// dropout keep the loss at the collapse value for hundreds of steps, so the defaults here are
// mean pooling and no dropout (pretrained checkpoints keep CLS, their natural choice).
import { existsSync } from 'node:fs';
import { Option } from '@commander-js/extra-typings';
import { normalizeConfig, PRESETS, presetConfig, type InbatchSettings } from '../model/config.js';
import { DualEncoder } from '../model/dual-encoder.js';
import { saveModel } from '../model/folder.js';
import { BertTokenizer } from '../text/bert-tokenizer.js';
import { loadTokenizerJson, readVocabTxt } from '../text/load-tokenizer.js';
import { checkReplaceable } from '../util/output-folder.js';
import { isModelFolder } from '../model/config-file.js';
import type { Command } from './command.js';
import { intIn, maxSeqLengthOption, outputEmbSizeOption, pathValue, poolingOption, probability, UsageError } from './flags.js';
import { readJsonObject } from '../util/json-file.js';

export const RANDOM_INIT_DEFAULTS = { pooling: 'mean', dropout: 0 } as const;

export function addInitCommand(program: Command): void {
  program.command('init')
    .description('Create a randomly initialised model folder (BERT encoder + projection) from a preset or a config.json.')
    .addOption(new Option('--config <name>', `${Object.keys(PRESETS).join(' | ')} | path to a Hugging Face BERT config.json`).default('small'))
    .addOption(new Option('--vocab <file>', 'vocab.txt or tokenizer.json').argParser(pathValue).makeOptionMandatory())
    .addOption(new Option('--save-dir <dir>', 'folder to create').argParser(pathValue).makeOptionMandatory())
    .addOption(outputEmbSizeOption().default(256))
    .addOption(poolingOption().default(RANDOM_INIT_DEFAULTS.pooling, `${RANDOM_INIT_DEFAULTS.pooling} (learns from random weights; CLS would stay at the collapse loss)`))
    .addOption(maxSeqLengthOption().default(128))
    .addOption(new Option('--dropout <p>', 'hidden, attention and projection dropout').argParser(probability).default(RANDOM_INIT_DEFAULTS.dropout, `${RANDOM_INIT_DEFAULTS.dropout} (its noise drowns the weak early signal of random weights)`))
    .addOption(new Option('--seed <n>', 'initialisation seed').argParser(intIn(0)).default(42))
    .addOption(new Option('--overwrite', 'replace --save-dir even when it holds something other than an inbatch model').default(false))
    .action((f, cmd) => {
      checkReplaceable(f.saveDir, { flag: '--save-dir', what: 'model folder', isSameKind: isModelFolder, overwrite: f.overwrite });
      if (!existsSync(f.vocab)) throw new UsageError(`--vocab ${f.vocab} does not exist`);
      const tokenizer = f.vocab.endsWith('.json') ? loadTokenizerJson(f.vocab) : new BertTokenizer(readVocabTxt(f.vocab));
      // flags given on the command line win over a config file's "inbatch" object, which wins over the defaults
      const given = (name: string) => cmd.getOptionValueSource(name) === 'cli';
      const fromFlags: Partial<InbatchSettings> = {};
      if (given('outputEmbSize')) fromFlags.output_emb_size = f.outputEmbSize;
      if (given('pooling')) fromFlags.pooling = f.pooling;
      if (given('maxSeqLength')) fromFlags.max_seq_length = f.maxSeqLength;
      if (given('dropout')) fromFlags.dropout = f.dropout;
      const defaults: InbatchSettings = { output_emb_size: f.outputEmbSize, pooling: f.pooling, max_seq_length: f.maxSeqLength, dropout: f.dropout };
      let config;
      if (PRESETS[f.config]) config = presetConfig(f.config, tokenizer.vocabSize, { ...defaults, ...fromFlags });
      else if (existsSync(f.config)) {
        const raw = readJsonObject(f.config);
        const fileSettings = typeof raw.inbatch === 'object' && raw.inbatch !== null ? raw.inbatch as Partial<InbatchSettings> : {};
        config = normalizeConfig({ vocab_size: tokenizer.vocabSize, ...raw, inbatch: { ...defaults, ...fileSettings } }, f.config, fromFlags);
      } else throw new UsageError(`--config ${f.config}: not a preset (${Object.keys(PRESETS).join(', ')}) nor an existing file`);
      const dropout = config.inbatch.dropout;
      const model = DualEncoder.random({ ...config, hidden_dropout_prob: dropout, attention_probs_dropout_prob: dropout }, tokenizer, f.seed);
      saveModel(model, f.saveDir);
      const count = [...model.params.values()].reduce((n, p) => n + p.shape.reduce((a, b) => a * b, 1), 0);
      console.log(`created ${f.saveDir}: ${config.num_hidden_layers} layers, hidden ${config.hidden_size}, ${(count / 1e6).toFixed(2)}M parameters, ` +
        `embeddings of ${model.dim}; pooling ${config.inbatch.pooling}, dropout ${dropout}, max_seq_length ${config.inbatch.max_seq_length}`);
    });
}
