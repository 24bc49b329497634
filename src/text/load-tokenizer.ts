// Reads a WordPiece vocabulary from vocab.txt or a Hugging Face tokenizer.json.
import { existsSync } from 'node:fs';
import { readUtf8File } from '../util/utf8-file.js';
import { join } from 'node:path';
import { BertTokenizer, type BertTokenizerOptions } from './bert-tokenizer.js';
import { readJsonObject } from '../util/json-file.js';

export function readVocabTxt(path: string): Map<string, number> {
  const vocab = new Map<string, number>();
  const lines = readUtf8File(path).split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  lines.forEach((line, i) => {
    const token = line.replace(/\r$/, '');
    const earlier = vocab.get(token);
    if (earlier !== undefined) throw new Error(`${path}:${i + 1}: token ${JSON.stringify(token)} again (first on line ${earlier + 1}); each id needs its own token`);
    vocab.set(token, i);
  });
  if (vocab.size === 0) throw new Error(`${path}: empty vocabulary`);
  return vocab;
}

interface TokenizerJson {
  model?: { type?: string; vocab?: Record<string, number>; unk_token?: string; continuing_subword_prefix?: string; max_input_chars_per_word?: number };
  normalizer?: { type?: string; lowercase?: boolean; strip_accents?: boolean | null; handle_chinese_chars?: boolean } | null;
}

export function loadTokenizerJson(path: string): BertTokenizer {
  const json = readJsonObject(path) as TokenizerJson;
  const model = json.model;
  if (!model || model.type !== 'WordPiece' || !model.vocab) {
    throw new Error(`${path}: model.type must be "WordPiece" with a vocab (got ${model?.type ?? 'none'})`);
  }
  const entries = Object.entries(model.vocab).sort((a, b) => a[1] - b[1]);
  entries.forEach(([token, id], i) => {
    if (!Number.isSafeInteger(id) || id < 0 || id >= entries.length) throw new Error(`${path}: model.vocab gives token ${JSON.stringify(token)} the id ${JSON.stringify(id)}; ids must be 0..${entries.length - 1}`);
    if (id !== i) throw new Error(`${path}: model.vocab gives id ${id} to ${JSON.stringify(token)} and to ${JSON.stringify(entries[i - 1]![0])} (or skips id ${i})`);
  });
  const vocab = new Map(entries);
  const norm = json.normalizer;
  const options: Partial<BertTokenizerOptions> = {
    unkToken: model.unk_token ?? '[UNK]',
    continuingSubwordPrefix: model.continuing_subword_prefix ?? '##',
    maxInputCharsPerWord: model.max_input_chars_per_word ?? 100,
  };
  if (norm && norm.type === 'BertNormalizer') {
    options.lowercase = norm.lowercase ?? true;
    // HF: strip_accents null means "follow lowercase"
    options.stripAccents = norm.strip_accents ?? options.lowercase;
    options.handleChineseChars = norm.handle_chinese_chars ?? true;
  }
  return new BertTokenizer(vocab, options);
}

/** A model folder's tokenizer: tokenizer.json wins over vocab.txt, as in transformers. */
export function loadTokenizer(dir: string, options: Partial<BertTokenizerOptions> = {}): BertTokenizer {
  const json = join(dir, 'tokenizer.json');
  if (existsSync(json)) return loadTokenizerJson(json);
  const txt = join(dir, 'vocab.txt');
  if (existsSync(txt)) return new BertTokenizer(readVocabTxt(txt), { ...tokenizerConfigOptions(dir), ...options });
  throw new Error(`${dir}: no tokenizer.json or vocab.txt`);
}

/**
 * What tokenizer_config.json says about a vocab.txt tokenizer (Hugging Face's and PaddleNLP's both
 * use do_lower_case; an uncased-by-default BERT tokenizer otherwise).
 */
export function tokenizerConfigOptions(dir: string): Partial<BertTokenizerOptions> {
  const path = join(dir, 'tokenizer_config.json');
  if (!existsSync(path)) return {};
  const raw = readJsonObject(path);
  const options: Partial<BertTokenizerOptions> = {};
  if (raw.do_lower_case !== undefined) {
    if (typeof raw.do_lower_case !== 'boolean') throw new Error(`${path}: "do_lower_case" must be true or false`);
    options.lowercase = raw.do_lower_case;
    // as in transformers: strip_accents unset follows lowercase
    options.stripAccents = typeof raw.strip_accents === 'boolean' ? raw.strip_accents : raw.do_lower_case;
  }
  if (typeof raw.tokenize_chinese_chars === 'boolean') options.handleChineseChars = raw.tokenize_chinese_chars;
  return options;
}
