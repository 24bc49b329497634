import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parsePairs, readPairs } from '../../src/data/pairs.js';
import { DataFileError } from '../../src/data/errors.js';
import { tempDir } from '../helpers.js';

test('reads pairs, optional hard negatives, ignores blank lines and CRLF', () => {
  const { pairs, badLines } = parsePairs('q1\tp1\r\n\nq2\tp2\tn2\n  \nq3\tp3\n', 'x.tsv');
  assert.deepEqual(pairs.map((p) => [p.query, p.positive, p.hardNegative, p.line]), [
    ['q1', 'p1', undefined, 1], ['q2', 'p2', 'n2', 3], ['q3', 'p3', undefined, 5],
  ]);
  assert.equal(badLines.length, 0);
});

test('a bad line is reported with file:line and the problem', () => {
  assert.throws(() => parsePairs('q1\tp1\nonly one column\n', 'train.tsv'), (e: Error) => {
    assert.ok(e instanceof DataFileError);
    assert.equal(e.message, 'train.tsv:2: expected query<TAB>positive, found one column');
    return true;
  });
  assert.throws(() => parsePairs('q1\t\n', 'a.tsv'), /a\.tsv:1: empty positive/);
  assert.throws(() => parsePairs('\tp\n', 'a.tsv'), /a\.tsv:1: empty query/);
  assert.throws(() => parsePairs('a\tb\tc\td\n', 'a.tsv'), /a\.tsv:1: expected 2 or 3 tab-separated columns, found 4/);
});

test('--skip-bad-lines counts bad lines and keeps the good ones', () => {
  const { pairs, badLines } = parsePairs('q1\tp1\nbad\nq2\t\nq3\tp3\n', 'a.tsv', { skipBadLines: true });
  assert.equal(pairs.length, 2);
  assert.deepEqual(badLines.map((b) => b.line), [2, 3]);
});

test('a missing file names the file', () => {
  const { dir, cleanup } = tempDir();
  try {
    assert.throws(() => readPairs(join(dir, 'nope.tsv')), /nope\.tsv: cannot read \(ENOENT\)/);
    writeFileSync(join(dir, 'ok.tsv'), 'a\tb\n');
    assert.equal(readPairs(join(dir, 'ok.tsv')).pairs.length, 1);
  } finally {
    cleanup();
  }
});

test('invalid UTF-8 is an error naming the line, or a counted bad line with --skip-bad-lines; a BOM is dropped', () => {
  const { dir, cleanup } = tempDir();
  try {
    const file = join(dir, 'mixed.tsv');
    writeFileSync(file, Buffer.concat([Buffer.from('\uFEFF问\t答\n'), Buffer.from([0x71, 0x09, 0xc3, 0x28, 0x0a]), Buffer.from('好\t的\n')]));
    assert.throws(() => readPairs(file), /mixed\.tsv:2: invalid UTF-8/);
    const { pairs, badLines } = readPairs(file, { skipBadLines: true });
    assert.deepEqual(pairs.map((p) => p.query), ['问', '好'], 'the BOM is not part of the first query');
    assert.deepEqual(badLines.map((b) => b.message), [`${file}:2: invalid UTF-8`]);
  } finally {
    cleanup();
  }
});
