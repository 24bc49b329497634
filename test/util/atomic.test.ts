// Atomic writes: a failure or a kill in the middle never leaves a half-written file or folder in place.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeStaleTemporaries, writeDirAtomic, writeFileAtomicStreamed } from '../../src/util/atomic.js';
import { makeDir } from '../../src/util/make-dir.js';
import { tempDir } from '../helpers.js';

test('a folder write that fails half-way leaves the old folder whole and no temporary behind', () => {
  const { dir, cleanup } = tempDir();
  try {
    const target = join(dir, 'out');
    writeDirAtomic(target, (tmp) => writeFileSync(join(tmp, 'a.txt'), 'old'));
    assert.throws(() => writeDirAtomic(target, (tmp) => {
      writeFileSync(join(tmp, 'a.txt'), 'new');
      writeFileSync(join(tmp, 'b.txt'), 'half');
      throw new Error('disk full');
    }), /disk full/);
    assert.deepEqual(readdirSync(target), ['a.txt']);
    assert.equal(readFileSync(join(target, 'a.txt'), 'utf8'), 'old');
    assert.deepEqual(readdirSync(dir), ['out']);
    assert.throws(() => writeFileAtomicStreamed(join(dir, 'f.bin'), (fd) => { writeFileSync(fd, 'part'); throw new Error('no space'); }), /no space/);
    assert.deepEqual(readdirSync(dir), ['out']);
  } finally {
    cleanup();
  }
});

test('stale temporaries of dead processes are removed or restored; those of live ones stay', () => {
  const { dir, cleanup } = tempDir();
  try {
    const dead = 2 ** 22 + 12345; // above Linux's pid_max default: no such process
    for (const name of [`.tmp-${dead}-checkpoint-10`, `.old-${dead}-checkpoint-5`, `.old-${dead}-model_best`, `.tmp-${dead}-model_best`, `.tmp-${process.pid}-mine`, 'checkpoint-5']) mkdirSync(join(dir, name));
    writeFileSync(join(dir, `.old-${dead}-model_best`, 'model.safetensors'), 'the earlier model');
    assert.deepEqual(removeStaleTemporaries(dir).sort(), [`.old-${dead}-checkpoint-5`, `.old-${dead}-model_best`, `.tmp-${dead}-checkpoint-10`, `.tmp-${dead}-model_best`]);
    // killed between the two renames of a swap: the earlier model_best comes back
    assert.deepEqual(readdirSync(dir).sort(), [`.tmp-${process.pid}-mine`, 'checkpoint-5', 'model_best']);
    assert.equal(readFileSync(join(dir, 'model_best', 'model.safetensors'), 'utf8'), 'the earlier model');
  } finally {
    cleanup();
  }
});

test('makeDir names the real reason instead of spinning or saying ENOENT', () => {
  const { dir, cleanup } = tempDir();
  try {
    makeDir(join(dir, 'a', 'b', 'c'));
    assert.ok(existsSync(join(dir, 'a', 'b', 'c')));
    writeFileSync(join(dir, 'file'), '');
    assert.throws(() => makeDir(join(dir, 'file', 'x')), /file is not a folder/);
    assert.throws(() => makeDir('/proc/inbatch-test/x'), /this file system does not allow new folders here|not writable/);
  } finally {
    cleanup();
  }
});
