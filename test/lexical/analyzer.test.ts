import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Analyzer } from '../../src/lexical/analyzer.js';

const terms = (text: string, wordBigrams = false) => new Analyzer({ wordBigrams }).terms(text);

test('Chinese: every character and every neighbouring pair, punctuation dropped', () => {
  assert.deepEqual(terms('我爱北京。'), ['我', '我爱', '爱', '爱北', '北', '北京', '京']);
  // a punctuation mark ends the run: no bigram across it
  assert.deepEqual(terms('你好，世界'), ['你', '你好', '好', '世', '世界', '界']);
  assert.deepEqual(terms('字'), ['字']);
});

test('Japanese kana and kanji form one run', () => {
  assert.deepEqual(terms('東京タワー'), ['東', '東京', '京', '京タ', 'タ', 'タワ', 'ワ', 'ワー', 'ー']);
});

test('English: lower-cased words, punctuation dropped; letter bigrams only when asked', () => {
  assert.deepEqual(terms("Hello, World! It's 2024."), ['hello', 'world', 'it', 's', '2024']);
  assert.deepEqual(terms('Cats go', true), ['cats', '#ca', '#at', '#ts', 'go']);
});

test('mixed scripts split where the script changes', () => {
  assert.deepEqual(terms('iPhone手机壳3个'), ['iphone', '手', '手机', '机', '机壳', '壳', '3', '个']);
});

test('full-width letters, digits and punctuation fold to ASCII (NFKC) and lower case', () => {
  assert.deepEqual(terms('ＡＢＣ１２３！'), ['abc123']);
  assert.deepEqual(terms('ＡＢＣ 中文'), terms('abc 中文'));
  assert.deepEqual(terms('Ａ'), ['a']);
});

test('nothing but punctuation and spaces gives no term', () => {
  assert.deepEqual(terms(' ，。!? \t'), []);
  assert.deepEqual(terms(''), []);
});

test('a very long word is cut into 255-letter words', () => {
  const t = terms('a'.repeat(600));
  assert.deepEqual(t.map((w) => w.length), [255, 255, 90]);
});
