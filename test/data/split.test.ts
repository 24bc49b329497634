// inbatch split: no query or positive text crosses sides, reruns are identical, bad rows are named.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { splitPairs, DEFAULT_SPLIT } from '../../src/data/split.js';
import { readIdTexts, readQrels } from '../../src/data/beir-files.js';
import { tempDir } from '../helpers.js';

/** 300 rows: duplicates, queries sharing a positive, a positive that is another row's query, and chains. */
function pairsFile(path: string): void {
  const rows: string[] = [];
  for (let i = 0; i < 200; i++) rows.push(`query ${i}\tpositive ${i}`);
  for (let i = 0; i < 40; i++) rows.push(`query ${i}\tpositive ${i}`); // exact duplicates
  for (let i = 0; i < 30; i++) rows.push(`other query ${i}\tpositive ${i * 3}`); // shared positives
  for (let i = 0; i < 20; i++) rows.push(`query ${i + 100}\tquery ${i + 150}`); // a positive that is another query
  for (let i = 0; i < 10; i++) rows.push(`chain ${i}\tpositive ${(i * 7) % 200}\thard negative ${i}`);
  writeFileSync(path, rows.join('\n') + '\n');
}

const texts = (file: string) => readFileSync(file, 'utf8').split('\n').filter(Boolean).flatMap((l) => l.split('\t').slice(0, 2));

test('no query or positive text of the test side appears on the train side; counts and layouts agree', async () => {
  const { dir, cleanup } = tempDir();
  try {
    pairsFile(join(dir, 'pairs.tsv'));
    const m = await splitPairs([join(dir, 'pairs.tsv')], join(dir, 'out'), { ...DEFAULT_SPLIT, testQueries: 40 });
    const queries = readIdTexts(join(dir, 'out', 'test', 'queries.tsv')).map((q) => q.text);
    const corpus = readIdTexts(join(dir, 'out', 'test', 'corpus.tsv'));
    const qrels = readQrels(join(dir, 'out', 'test', 'qrels.tsv'));
    assert.ok(queries.length >= 40 && queries.length === m.test.queries, `${queries.length} test queries`);
    const train = new Set(texts(join(dir, 'out', 'train.tsv')));
    const positives = [...qrels.values()].flatMap((judged) => [...judged.keys()].map((d) => corpus.find((c) => c.id === d)!.text));
    for (const t of [...queries, ...positives]) assert.ok(!train.has(t), `"${t}" is on both sides`);
    // the other corpus texts are distractors from the train side's positives, never a test text
    assert.equal(m.test.corpus, corpus.length);
    assert.equal(m.rows, 300);
    assert.equal(m.train_rows + m.test.rows, 300);
    // PaddleNLP layout: one dev line per judgement, corpus.txt = corpus.tsv's texts
    const dev = readFileSync(join(dir, 'out', 'test', 'dev.tsv'), 'utf8').split('\n').filter(Boolean);
    assert.equal(dev.length, m.test.qrels);
    assert.deepEqual(readFileSync(join(dir, 'out', 'test', 'corpus.txt'), 'utf8').split('\n').filter(Boolean), corpus.map((c) => c.text));
    // every line of the input is on exactly one side
    assert.equal(readFileSync(join(dir, 'out', 'train.tsv'), 'utf8').split('\n').filter(Boolean).length, m.train_rows);
  } finally {
    cleanup();
  }
});

test('the same seed gives identical files; another seed holds out other queries', async () => {
  const { dir, cleanup } = tempDir();
  try {
    pairsFile(join(dir, 'pairs.tsv'));
    const o = { ...DEFAULT_SPLIT, testQueries: 30, seed: 7 };
    await splitPairs([join(dir, 'pairs.tsv')], join(dir, 'a'), o);
    await splitPairs([join(dir, 'pairs.tsv')], join(dir, 'b'), o);
    await splitPairs([join(dir, 'pairs.tsv')], join(dir, 'c'), { ...o, seed: 8 });
    for (const f of ['train.tsv', 'manifest.json', 'test/queries.tsv', 'test/corpus.tsv', 'test/qrels.tsv', 'test/dev.tsv', 'test/corpus.txt']) {
      assert.deepEqual(readFileSync(join(dir, 'b', f)), readFileSync(join(dir, 'a', f)), f);
    }
    assert.notDeepEqual(readFileSync(join(dir, 'c', 'test', 'queries.tsv')), readFileSync(join(dir, 'a', 'test', 'queries.tsv')));
  } finally {
    cleanup();
  }
});

test('a malformed row is named by file and line, and nothing is written', async () => {
  const { dir, cleanup } = tempDir();
  try {
    writeFileSync(join(dir, 'bad.tsv'), 'a\tb\nc\td\nonly one column\n');
    await assert.rejects(splitPairs([join(dir, 'bad.tsv')], join(dir, 'out'), { ...DEFAULT_SPLIT, testQueries: 1 }), /bad\.tsv:3: expected query<TAB>positive, found one column/);
    assert.ok(!existsSync(join(dir, 'out')));
    assert.deepEqual(readdirSync(dir).filter((n) => n.startsWith('.tmp')), []);
    writeFileSync(join(dir, 'small.tsv'), 'a\tb\nc\td\n');
    await assert.rejects(splitPairs([join(dir, 'small.tsv')], join(dir, 'out'), { ...DEFAULT_SPLIT, testQueries: 2 }), /leaves no pairs for training/);
    await assert.rejects(splitPairs([join(dir, 'small.tsv')], join(dir, 'out'), { ...DEFAULT_SPLIT, testQueries: 3 }), /only 2 test queries can be held out/);
  } finally {
    cleanup();
  }
});
