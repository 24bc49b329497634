// Writes a tokenizer beside a model: vocab.txt, tokenizer.json and tokenizer_config.json,
// the files transformers, transformers.js and inbatch all read.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BertTokenizer } from './bert-tokenizer.js';

export function writeTokenizerFiles(tokenizer: BertTokenizer, dir: string, maxLength: number): void {
  writeFileSync(join(dir, 'vocab.txt'), tokenizer.idToToken.join('\n') + '\n');
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tokenizerJsonFor(tokenizer, maxLength)));
  const o = tokenizer.options;
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({
    tokenizer_class: 'BertTokenizer', do_lower_case: o.lowercase, strip_accents: o.stripAccents, tokenize_chinese_chars: o.handleChineseChars,
    model_max_length: maxLength, unk_token: o.unkToken, cls_token: o.clsToken, sep_token: o.sepToken, pad_token: o.padToken, mask_token: '[MASK]',
  }, null, 2) + '\n');
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
