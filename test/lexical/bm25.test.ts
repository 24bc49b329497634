import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bm25Index } from '../../src/lexical/bm25-index.js';

// documents of English words: each word is one term, so the hand computation stays small
const docs = ['apple banana', 'apple apple apple cherry', 'banana cherry date elderberry fig grape', 'kiwi'];
const N = 4;
const lengths = [2, 4, 6, 1];
const avgdl = lengths.reduce((a, b) => a + b, 0) / N; // 13 / 4
const idf = (n: number) => Math.log(1 + (N - n + 0.5) / (n + 0.5));
const part = (tf: number, dl: number, k1 = 1.2, b = 0.75) => (tf * (k1 + 1)) / (tf + k1 * (1 - b + (b * dl) / avgdl));

test('scores equal the formula computed by hand (idf, tf saturation, length normalisation)', () => {
  const index = Bm25Index.build(docs);
  assert.equal(index.size, N);
  assert.equal(index.averageLength, avgdl);
  assert.ok(Math.abs(index.idf('apple') - Math.log(1 + 2.5 / 2.5)) < 1e-12); // n = 2: ln 2
  assert.ok(Math.abs(index.idf('kiwi') - Math.log(1 + 3.5 / 1.5)) < 1e-12);
  // a term in every document still has a positive idf (Lucene's +1 inside the log)
  const everywhere = Bm25Index.build(['x', 'x y', 'x z']);
  assert.ok(everywhere.idf('x') > 0 && Math.abs(everywhere.idf('x') - Math.log(1 + 0.5 / 3.5)) < 1e-12);

  const hits = index.searchOne('apple', 10);
  // doc 1 has tf 3 in 4 terms, doc 0 tf 1 in 2 terms
  assert.deepEqual(hits.map((h) => h.id), [1, 0]);
  assert.ok(Math.abs(hits[0]!.score - idf(2) * part(3, 4)) < 1e-6);
  assert.ok(Math.abs(hits[1]!.score - idf(2) * part(1, 2)) < 1e-6);
  // tf saturates: three times the term is far less than three times the score
  assert.ok(part(3, 4) < 2 * part(1, 4));

  // two query terms add; a repeated query term counts twice
  const two = index.searchOne('banana cherry', 10);
  const expected = new Map([[0, idf(2) * part(1, 2)], [1, idf(2) * part(1, 4)], [2, idf(2) * part(1, 6) + idf(2) * part(1, 6)]]);
  assert.equal(two.length, 3);
  for (const h of two) assert.ok(Math.abs(h.score - expected.get(h.id)!) < 1e-6, `doc ${h.id}: ${h.score} vs ${expected.get(h.id)}`);
  const twice = index.searchOne('kiwi kiwi', 1)[0]!;
  assert.ok(Math.abs(twice.score - 2 * idf(1) * part(1, 1)) < 1e-6);

  // length normalisation: the same tf in a longer document scores lower; b = 0 turns it off
  assert.ok(part(1, 6) < part(1, 2));
  const flat = Bm25Index.build(docs, { k1: 1.2, b: 0 });
  const [a, b] = flat.searchOne('banana', 10);
  assert.equal(a!.score, b!.score);
  assert.deepEqual([a!.id, b!.id], [0, 2]); // equal scores: smaller id first
  // k1 = 0: binary tf
  const binary = Bm25Index.build(docs, { k1: 0, b: 0.75 });
  assert.ok(Math.abs(binary.searchOne('apple', 1)[0]!.score - idf(2)) < 1e-6);
});

test('Chinese: unigrams and bigrams both score; unknown terms and documents sharing nothing are left out', () => {
  const index = Bm25Index.build(['北京天气怎么样', '上海天气', '北京烤鸭', '今天吃什么']);
  const hits = index.searchOne('北京天气', 10);
  assert.equal(hits[0]!.id, 0); // shares 北, 北京, 京, 京天, 天, 天气, 气
  assert.deepEqual(new Set(hits.map((h) => h.id)), new Set([0, 1, 2, 3])); // 3 shares 天
  assert.deepEqual(index.searchOne('完全无关', 10), []);
  assert.deepEqual(index.searchOne('，。', 10), []);
  assert.equal(index.searchOne('北京天气', 2).length, 2);
});

test('top-k by heap equals a full sort on a larger corpus', () => {
  const texts: string[] = [];
  let seed = 7;
  const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  for (let i = 0; i < 3000; i++) texts.push(Array.from({ length: 3 + Math.floor(rand() * 10) }, () => `w${Math.floor(rand() * 50)}`).join(' '));
  const index = Bm25Index.build(texts);
  for (const q of ['w1 w2', 'w3', 'w7 w7 w9 w11']) {
    const all = index.searchOne(q, 3000);
    const top = index.searchOne(q, 10);
    assert.deepEqual(top, all.slice(0, 10));
    for (let i = 1; i < all.length; i++) assert.ok(all[i - 1]!.score > all[i]!.score || (all[i - 1]!.score === all[i]!.score && all[i - 1]!.id < all[i]!.id));
  }
});

test('save and load give the same results; k1 and b can be changed on load; bad files are refused', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bm25-'));
  try {
    const index = Bm25Index.build(['北京天气怎么样', '上海天气', 'hello world', '北京烤鸭']);
    index.save(join(dir, 'bm25'));
    const loaded = Bm25Index.load(join(dir, 'bm25'));
    for (const q of ['北京', 'hello 天气', 'nothing']) assert.deepEqual(loaded.searchOne(q, 10), index.searchOne(q, 10));
    const other = Bm25Index.load(join(dir, 'bm25'), { b: 0 });
    assert.deepEqual(other.params, { k1: 1.2, b: 0 });
    assert.throws(() => Bm25Index.load(join(dir, 'bm25'), { b: 2 }), /b must be in \[0, 1\]/);

    const meta = join(dir, 'bm25', 'bm25.json');
    const good = readFileSync(meta, 'utf8');
    writeFileSync(meta, good.replace('"documents": 4', '"documents": 5'));
    assert.throws(() => Bm25Index.load(join(dir, 'bm25')), /doc-length.u32 has 16 bytes, 5 entries need 20/);
    writeFileSync(meta, good.replace('nfkc-lower', 'other'));
    assert.throws(() => Bm25Index.load(join(dir, 'bm25')), /analyzer "other-cjk/);
    writeFileSync(meta, good);
    // a document id out of range in the postings
    const docsFile = join(dir, 'bm25', 'posting-doc.u32');
    const bytes = readFileSync(docsFile);
    const copy = Buffer.from(bytes);
    copy.writeUInt32LE(99, 0);
    writeFileSync(docsFile, copy);
    assert.throws(() => Bm25Index.load(join(dir, 'bm25')), /out of order or out of range/);
    writeFileSync(docsFile, bytes);
    const tf = join(dir, 'bm25', 'posting-tf.u16');
    const tfBytes = Buffer.from(readFileSync(tf));
    tfBytes.writeUInt16LE(7, 0);
    writeFileSync(tf, tfBytes);
    assert.throws(() => Bm25Index.load(join(dir, 'bm25')), /postings add up to/);
    assert.throws(() => Bm25Index.load(join(dir, 'missing')), /bm25.json: cannot read \(ENOENT\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('rare and common query terms (tracked vs scanned scores) both give the exact top k of the formula', () => {
  let seed = 11;
  const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  // common words w0..w19 (each in a large share of the documents) and rare words r0..r1999
  const docs = Array.from({ length: 3000 }, () => [
    ...Array.from({ length: 2 + Math.floor(rand() * 8) }, () => `w${Math.floor(rand() * 20)}`),
    ...Array.from({ length: Math.floor(rand() * 3) }, () => `r${Math.floor(rand() * 2000)}`),
  ]);
  const index = Bm25Index.build(docs.map((d) => d.join(' ')));
  const N = docs.length, avgdl = docs.reduce((s, d) => s + d.length, 0) / N, k1 = 1.2, b = 0.75;
  const df = new Map<string, number>();
  for (const d of docs) for (const w of new Set(d)) df.set(w, (df.get(w) ?? 0) + 1);
  const formula = (query: string[], d: string[]) => query.reduce((s, w) => {
    const tf = d.filter((x) => x === w).length, n = df.get(w) ?? 0;
    return tf ? s + Math.log(1 + (N - n + 0.5) / (n + 0.5)) * tf * (k1 + 1) / (tf + k1 * (1 - b + b * d.length / avgdl)) : s;
  }, 0);
  // rare: a few dozen postings (scores tracked per touched document); common: a third of the corpus and more (all scanned)
  for (const q of ['r5 r17 r123', 'r1999', 'w1 w2', 'w3 w3 r8', 'w0 w1 w2 w3 w4 w5']) {
    const words = q.split(' ');
    const postings = words.reduce((s, w) => s + (df.get(w) ?? 0), 0);
    assert.ok(q.startsWith('r') ? postings * 8 <= N : postings * 8 > N, `${q}: ${postings} postings`);
    const reference = docs.map((d) => formula(words, d));
    for (const k of [1, 10, 3000]) {
      const hits = index.searchOne(q, k);
      assert.equal(hits.length, Math.min(k, reference.filter((s) => s > 0).length), `${q} k=${k}`);
      for (const h of hits) assert.ok(Math.abs(h.score - reference[h.id]!) <= 1e-5 * Math.max(1, reference[h.id]!), `${q}: doc ${h.id} scores ${h.score}, the formula ${reference[h.id]}`);
      for (let i = 1; i < hits.length; i++) assert.ok(hits[i - 1]!.score > hits[i]!.score || (hits[i - 1]!.score === hits[i]!.score && hits[i - 1]!.id < hits[i]!.id), `${q}: order at ${i}`);
      const kept = new Set(hits.map((h) => h.id)), last = hits.at(-1)!.score;
      reference.forEach((s, d) => { if (!kept.has(d)) assert.ok(s <= last + 1e-5, `${q} k=${k}: doc ${d} (${s}) left out above the k-th (${last})`); });
    }
  }
});
