import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { BertTokenizer } from '../../src/text/bert-tokenizer.js';
import { loadTokenizer, loadTokenizerJson, readVocabTxt } from '../../src/text/load-tokenizer.js';
import { tokenizerJsonFor } from '../../src/text/tokenizer-files.js';
import { padBatch } from '../../src/text/collate.js';
import { needsShared, sharedData, tempDir, tokenizerOf } from '../helpers.js';

const tok = tokenizerOf(['hello', 'world', 'un', '##aff', '##able', 'cafe', '!', ',', '我', '爱', '北', '京', 'a', '##b', '##c', 'abc', '.']);

test('English: lowercase, punctuation split, greedy longest-match WordPiece', () => {
  assert.deepEqual(tok.tokenize('Hello, WORLD!'), ['hello', ',', 'world', '!']);
  assert.deepEqual(tok.tokenize('unaffable'), ['un', '##aff', '##able']);
  // longest match first: "abc" is a whole token, so no a ##b ##c
  assert.deepEqual(tok.tokenize('abc'), ['abc']);
  assert.deepEqual(tok.tokenize('abcc'), ['abc', '##c']);
});

test('accents are stripped after lowercasing; an unknown piece makes the whole word [UNK]', () => {
  assert.deepEqual(tok.tokenize('Café'), ['cafe']);
  assert.deepEqual(tok.tokenize('unaffablez'), ['[UNK]']);
  const cased = new BertTokenizer(tok.vocab, { lowercase: false, stripAccents: false });
  assert.deepEqual(cased.tokenize('Café hello'), ['[UNK]', 'hello']);
});

test('every CJK character is its own token, also inside Latin text', () => {
  assert.deepEqual(tok.tokenize('我爱北京'), ['我', '爱', '北', '京']);
  assert.deepEqual(tok.tokenize('hello我world'), ['hello', '我', 'world']);
});

test('emoji and control characters', () => {
  // emoji are neither punctuation nor CJK: a separate emoji is one unknown word, an attached one spoils its word
  assert.deepEqual(tok.tokenize('hello 😀 world'), ['hello', '[UNK]', 'world']);
  assert.deepEqual(tok.tokenize('hello😀'), ['[UNK]']);
  assert.deepEqual(tok.tokenize('hel\u0000lo\u200b\tworld'), ['hello', 'world']);
});

test('encode adds [CLS]/[SEP], truncates very long input to max_seq_length', () => {
  const e = tok.encode('hello world', 8);
  assert.deepEqual(tok.decode(e.inputIds), ['[CLS]', 'hello', 'world', '[SEP]']);
  assert.deepEqual(e.attentionMask, [1, 1, 1, 1]);
  assert.deepEqual(e.tokenTypeIds, [0, 0, 0, 0]);
  const long = tok.encode('我'.repeat(10_000), 16);
  assert.equal(long.inputIds.length, 16);
  assert.equal(long.inputIds[15], tok.sepId);
  // a 101-character word is [UNK] (max_input_chars_per_word = 100)
  assert.deepEqual(tok.tokenize('a'.repeat(101)), ['[UNK]']);
});

test('padBatch pads to the longest row and masks padding', () => {
  const b = padBatch([tok.encode('hello', 8), tok.encode('hello world !', 8)], tok.padId);
  assert.equal(b.seqLength, 5);
  assert.deepEqual(Array.from(b.attentionMask, Number), [1, 1, 1, 0, 0, 1, 1, 1, 1, 1]);
  assert.equal(b.tokens, 8);
  assert.equal(padBatch([tok.encode('hello', 8)], tok.padId, 8).seqLength, 8);
});

test('tokenizer.json round trip gives the same tokenizer', () => {
  const { dir, cleanup } = tempDir();
  try {
    const path = join(dir, 'tokenizer.json');
    writeFileSync(path, JSON.stringify(tokenizerJsonFor(tok, 128)));
    const back = loadTokenizerJson(path);
    for (const s of ['Hello, WORLD!', '我爱北京 unaffable', 'Café😀']) assert.deepEqual(back.encode(s, 32), tok.encode(s, 32));
    assert.deepEqual(loadTokenizer(dir).encode('hello', 8), tok.encode('hello', 8));
    writeFileSync(path, JSON.stringify({ model: { type: 'BPE', vocab: {} } }));
    assert.throws(() => loadTokenizerJson(path), /tokenizer.json: model.type must be "WordPiece"/);
  } finally {
    cleanup();
  }
});

test('bert-base-chinese vocabulary: hand-checked Chinese, English and mixed ids', { skip: needsShared('vocab.txt') }, () => {
  const real = new BertTokenizer(readVocabTxt(join(sharedData, 'vocab.txt')));
  assert.equal(real.vocabSize, 21128);
  assert.deepEqual(real.encode('我爱北京天安门', 32).inputIds, [101, 2769, 4263, 1266, 776, 1921, 2128, 7305, 102]);
  assert.deepEqual(real.tokenize('Hello World!'), ['hello', 'world', '!']);
  assert.deepEqual(real.tokenize('iPhone13怎么样'), ['iphone', '##13', '怎', '么', '样']);
  assert.deepEqual(real.tokenize('😀'), ['[UNK]']);
});

test('a vocab.txt folder honours tokenizer_config.json\'s do_lower_case (cased ERNIE/BERT vocabularies)', async () => {
  const { dir, cleanup } = tempDir();
  try {
    writeFileSync(join(dir, 'vocab.txt'), ['[PAD]', '[UNK]', '[CLS]', '[SEP]', 'abc', 'ABC', 'é', 'e'].join('\n') + '\n');
    const ids = (t: string) => loadTokenizer(dir).encode(t, 16).inputIds.slice(1, -1);
    assert.deepEqual(ids('ABC'), [4], 'no tokenizer_config.json: lower-cased, as BERT');
    writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ do_lower_case: false }));
    assert.deepEqual(ids('ABC'), [5]);
    assert.deepEqual(ids('é'), [6], 'cased: accents kept too');
    writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ do_lower_case: 'no' }));
    assert.throws(() => loadTokenizer(dir), /tokenizer_config\.json: "do_lower_case" must be true or false/);
  } finally {
    cleanup();
  }
});
