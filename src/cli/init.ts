import { existsSync, readFileSync } from 'node:fs';
import { normalizeConfig, PRESETS, presetConfig, type Pooling } from '../model/config.js';
import { DualEncoder } from '../model/dual-encoder.js';
import { saveModel } from '../model/folder.js';
import { BertTokenizer } from '../text/bert-tokenizer.js';
import { loadTokenizerJson, readVocabTxt } from '../text/load-tokenizer.js';
import type { Command } from './command.js';
import { UsageError } from './flags.js';

export const initCommand: Command = {
  name: 'init',
  summary: 'Create a randomly initialised model folder (BERT encoder + projection) from a preset or a config.json.',
  flags: {
    config: { type: 'string', default: 'small', help: `tiny | small | base | path to a HF BERT config.json (${Object.keys(PRESETS).join(', ')})` },
    vocab: { type: 'string', required: true, help: 'vocab.txt or tokenizer.json' },
    'output-emb-size': { type: 'int', default: 256, help: 'projection size; 0 = hidden size' },
    pooling: { type: 'string', default: 'cls', help: 'cls | pooler | mean' },
    'max-seq-length': { type: 'int', default: 128, help: 'tokens per text, [CLS] and [SEP] included' },
    'save-dir': { type: 'string', required: true, help: 'folder to create' },
    seed: { type: 'int', default: 42, help: 'initialisation seed' },
    dropout: { type: 'number', help: 'hidden, attention and projection dropout (default: 0.1, or the config file\'s)' },
  },
  run(f) {
    const vocabPath = String(f.vocab);
    if (!existsSync(vocabPath)) throw new UsageError(`--vocab ${vocabPath} does not exist`);
    const tokenizer = vocabPath.endsWith('.json') ? loadTokenizerJson(vocabPath) : new BertTokenizer(readVocabTxt(vocabPath));
    const dropout = f.dropout === undefined ? undefined : Number(f.dropout);
    const inbatch = { output_emb_size: Number(f['output-emb-size']), pooling: String(f.pooling) as Pooling, max_seq_length: Number(f['max-seq-length']), ...(dropout === undefined ? {} : { dropout }) };
    const name = String(f.config);
    const config = PRESETS[name]
      ? presetConfig(name, tokenizer.vocabSize, inbatch)
      : existsSync(name)
        ? normalizeConfig({ vocab_size: tokenizer.vocabSize, ...JSON.parse(readFileSync(name, 'utf8')) }, name, inbatch)
        : (() => { throw new UsageError(`--config ${name}: not a preset (${Object.keys(PRESETS).join(', ')}) nor an existing file`); })();
    const withDropout = dropout === undefined ? config : { ...config, hidden_dropout_prob: dropout, attention_probs_dropout_prob: dropout };
    const model = DualEncoder.random(withDropout, tokenizer, Number(f.seed));
    saveModel(model, String(f['save-dir']));
    const count = [...model.params.values()].reduce((n, p) => n + p.shape.reduce((a, b) => a * b, 1), 0);
    console.log(`created ${f['save-dir']}: ${config.num_hidden_layers} layers, hidden ${config.hidden_size}, ${(count / 1e6).toFixed(2)}M parameters, embeddings of ${model.embeddingSize}`);
  },
};
