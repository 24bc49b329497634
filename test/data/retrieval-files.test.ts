import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readIdTexts, readQrels, readTrecRun, formatTrecRun } from '../../src/data/beir-files.js';
import { readDevPairs, readRecallResult } from '../../src/data/paddle-recall-files.js';
import { readCorpusTexts, streamCorpus } from '../../src/data/corpus-file.js';
import { needsShared, sharedData, tempDir } from '../helpers.js';

async function withFiles(files: Record<string, string>, fn: (p: (name: string) => string) => void | Promise<void>) {
  const { dir, cleanup } = tempDir();
  try {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    await fn((name) => join(dir, name));
  } finally {
    cleanup();
  }
}

test('BEIR TSV and JSONL readers, with file:line errors', () => {
  withFiles({
    'q.tsv': 'id\ttext\nq1\thello\nq2\tworld\n',
    'c.jsonl': '{"_id":"d1","title":"T","text":"body"}\n{"_id":2,"text":"x"}\n',
    'bad.jsonl': '{"_id":"d1","text":"a"}\n{"_id":"d2"}\n',
    'dup.tsv': 'a\tx\na\ty\n',
    'qrels.tsv': 'query-id\tcorpus-id\tscore\nq1\td1\t1\nq1\td2\t2\n',
    'trec.qrels': 'q1 0 d1 1\n',
    'bad.qrels': 'q1\td1\tx\nq1\td1\tnope\n',
    'run.txt': 'q1 Q0 d1 1 0.9 sys\nq1 Q0 d2 2 0.5 sys\n',
  }, (p) => {
    assert.deepEqual(readIdTexts(p('q.tsv')), [{ id: 'q1', text: 'hello' }, { id: 'q2', text: 'world' }]);
    assert.deepEqual(readIdTexts(p('c.jsonl')), [{ id: 'd1', text: 'T body' }, { id: '2', text: 'x' }]);
    assert.throws(() => readIdTexts(p('bad.jsonl')), /bad\.jsonl:2: missing "text"/);
    assert.throws(() => readIdTexts(p('dup.tsv')), /dup\.tsv:2: duplicate id a/);
    assert.deepEqual([...readQrels(p('qrels.tsv')).get('q1')!], [['d1', 1], ['d2', 2]]);
    assert.deepEqual([...readQrels(p('trec.qrels')).get('q1')!], [['d1', 1]]);
    // a first line is a header only when it names its columns: "q1 d1 x" is a bad judgement, not a header
    assert.throws(() => readQrels(p('bad.qrels')), /bad\.qrels:1: score "x" is not a number/);
    const run = readTrecRun(p('run.txt'));
    assert.deepEqual(run.get('q1'), [{ id: 'd1', score: 0.9 }, { id: 'd2', score: 0.5 }]);
    assert.equal(formatTrecRun(run, 'sys'), 'q1 Q0 d1 1 0.900000000 sys\nq1 Q0 d2 2 0.500000000 sys\n');
  });
});

test('PaddleNLP layout readers, with file:line errors', async () => {
  await withFiles({
    'dev.tsv': 'q1\tg1\n\nq2\tg2\n',
    'bad.tsv': 'q1\tg1\nlonely\n',
    'corpus.txt': 'a\n\nb\r\n c\tlabel \n',
    'result.txt': 'q1\ta\t0.9\nq1\tb\t0.8\nq2\tb\t0.7\n',
    'badresult.txt': 'q1\ta\t0.9\nq1\tb\n',
  }, async (p) => {
    assert.deepEqual(readDevPairs(p('dev.tsv')), [{ query: 'q1', gold: 'g1' }, { query: 'q2', gold: 'g2' }]);
    assert.throws(() => readDevPairs(p('bad.tsv')), /bad\.tsv:2: expected query<TAB>gold text, found one column/);
    writeFileSync(p('extra.tsv'), 'q\tgold\nq2\tgold2\t1\n');
    assert.throws(() => readDevPairs(p('extra.tsv')), /extra\.tsv:2: expected query<TAB>gold text, found 3 columns/);
    // one rule for every reader: the first tab column, trimmed; blank lines skipped
    assert.deepEqual(await readCorpusTexts(p('corpus.txt')), ['a', 'b', 'c']);
    const streamed: string[] = [];
    for await (const chunk of streamCorpus(p('corpus.txt'), 2)) streamed.push(...chunk.texts);
    assert.deepEqual(streamed, ['a', 'b', 'c']);
    assert.deepEqual(readRecallResult(p('result.txt')).map((g) => [g.query, g.texts]), [['q1', ['a', 'b']], ['q2', ['b']]]);
    assert.throws(() => readRecallResult(p('badresult.txt')), /badresult\.txt:2: expected query<TAB>text<TAB>cosine, found 2 column/);
  });
});

test('the shared LCQMC retrieval set reads in both layouts', { skip: needsShared('lcqmc-retrieval') }, async () => {
  const dir = join(sharedData, 'lcqmc-retrieval');
  assert.equal(readIdTexts(join(dir, 'queries.tsv')).length, 5982);
  assert.equal(readIdTexts(join(dir, 'corpus.tsv')).length, 17575);
  assert.equal([...readQrels(join(dir, 'qrels.tsv')).values()].reduce((n, m) => n + m.size, 0), 6080);
  assert.equal(readDevPairs(join(dir, 'dev.tsv')).length, 5982);
  assert.equal((await readCorpusTexts(join(dir, 'corpus.txt'))).length, 17575);
});
