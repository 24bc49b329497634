// Reads a WordPiece vocabulary from vocab.txt or a Hugging Face tokenizer.json.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BertTokenizer, type BertTokenizerOptions } from './bert-tokenizer.js';

export function readVocabTxt(path: string): Map<string, number> {
  const vocab = new Map<string, number>();
  const lines = readFileSync(path, 'utf8').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  lines.forEach((line, i) => {
    const token = line.replace(/\r$/, '');
    if (!vocab.has(token)) vocab.set(token, i);
  });
  if (vocab.size === 0) throw new Error(`${path}: empty vocabulary`);
  return vocab;
}

interface TokenizerJson {
  model?: { type?: string; vocab?: Record<string, number>; unk_token?: string; continuing_subword_prefix?: string; max_input_chars_per_word?: number };
  normalizer?: { type?: string; lowercase?: boolean; strip_accents?: boolean | null; handle_chinese_chars?: boolean } | null;
}

export function loadTokenizerJson(path: string): BertTokenizer {
  let json: TokenizerJson;
  try {
    json = JSON.parse(readFileSync(path, 'utf8')) as TokenizerJson;
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${(e as Error).message})`);
  }
  const model = json.model;
  if (!model || model.type !== 'WordPiece' || !model.vocab) {
    throw new Error(`${path}: model.type must be "WordPiece" with a vocab (got ${model?.type ?? 'none'})`);
  }
  const vocab = new Map(Object.entries(model.vocab).sort((a, b) => a[1] - b[1]));
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
  if (existsSync(txt)) return new BertTokenizer(readVocabTxt(txt), options);
  throw new Error(`${dir}: no tokenizer.json or vocab.txt`);
}

/** tokenizer.json content for a WordPiece vocabulary (used when saving and exporting). */
export function tokenizerJsonFor(tok: BertTokenizer, maxLength: number): object {
  const o = tok.options;
  const vocab: Record<string, number> = {};
  tok.idToToken.forEach((t, i) => { vocab[t] = i; });
  const special = [o.padToken, o.unkToken, o.clsToken, o.sepToken, '[MASK]']
    .filter((t) => tok.vocab.has(t))
    .map((t) => ({ id: tok.vocab.get(t), content: t, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }));
  return {
    version: '1.0',
    truncation: { direction: 'Right', max_length: maxLength, strategy: 'LongestFirst', stride: 0 },
    padding: null,
    added_tokens: special,
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: o.handleChineseChars, strip_accents: o.stripAccents, lowercase: o.lowercase },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: o.clsToken, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: o.sepToken, type_id: 0 } }],
      pair: [
        { SpecialToken: { id: o.clsToken, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: o.sepToken, type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } }, { SpecialToken: { id: o.sepToken, type_id: 1 } },
      ],
      special_tokens: {
        [o.clsToken]: { id: o.clsToken, ids: [tok.clsId], tokens: [o.clsToken] },
        [o.sepToken]: { id: o.sepToken, ids: [tok.sepId], tokens: [o.sepToken] },
      },
    },
    decoder: { type: 'WordPiece', prefix: o.continuingSubwordPrefix, cleanup: true },
    model: { type: 'WordPiece', unk_token: o.unkToken, continuing_subword_prefix: o.continuingSubwordPrefix, max_input_chars_per_word: o.maxInputCharsPerWord, vocab },
  };
}
