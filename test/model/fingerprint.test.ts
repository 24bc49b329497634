// A model is identified by the sha256 of its weight bytes: stored at save time, trusted only while
// the files' sizes and mtimes are as stored, recomputed otherwise (a copy: same digest).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashFiles, weightFilesOf, weightsDigest, writeWeightsDigest, WEIGHTS_DIGEST_FILE } from '../../src/model/fingerprint.js';
import { tempDir } from '../helpers.js';

test('weights_sha256 is sha256 over each file\'s name, length and bytes; the stored digest is used only while the files are unchanged', () => {
  const { dir, cleanup } = tempDir();
  try {
    const model = join(dir, 'model');
    mkdirSync(model);
    const bytes = Buffer.from(Array.from({ length: 9_000_000 }, (_, i) => (i * 31 + 7) & 255)); // > one 4 MiB read
    writeFileSync(join(model, 'model.safetensors'), bytes);
    const expected = createHash('sha256').update(`model.safetensors\0${bytes.length}\0`).update(bytes).digest('hex');
    assert.equal(writeWeightsDigest(model), expected);
    assert.equal(JSON.parse(readFileSync(join(model, WEIGHTS_DIGEST_FILE), 'utf8')).sha256, expected);
    // a stored digest whose files still match is read, not recomputed (shown by a planted value)
    const stored = JSON.parse(readFileSync(join(model, WEIGHTS_DIGEST_FILE), 'utf8'));
    writeFileSync(join(model, WEIGHTS_DIGEST_FILE), JSON.stringify({ ...stored, sha256: 'a'.repeat(64) }));
    assert.equal(weightsDigest(model), 'a'.repeat(64));
    // a copy (new mtimes) hashes again and gets the true digest
    cpSync(model, join(dir, 'copy'), { recursive: true });
    assert.equal(weightsDigest(join(dir, 'copy')), expected);
    // one byte changed (same size, new mtime): another digest
    bytes[4_500_000] ^= 1;
    writeFileSync(join(model, 'model.safetensors'), bytes);
    utimesSync(join(model, 'model.safetensors'), new Date(), new Date(Date.now() + 5000));
    const changed = weightsDigest(model);
    assert.notEqual(changed, expected);
    assert.equal(changed, createHash('sha256').update(`model.safetensors\0${bytes.length}\0`).update(bytes).digest('hex'));
  } finally {
    cleanup();
  }
});

test('a sharded folder hashes its index, then its shards by name', () => {
  const { dir, cleanup } = tempDir();
  try {
    const index = JSON.stringify({ weight_map: { b: 'model-00002-of-00002.safetensors', a: 'model-00001-of-00002.safetensors', c: 'model-00001-of-00002.safetensors' } });
    writeFileSync(join(dir, 'model.safetensors.index.json'), index);
    writeFileSync(join(dir, 'model-00001-of-00002.safetensors'), 'one');
    writeFileSync(join(dir, 'model-00002-of-00002.safetensors'), 'two');
    assert.deepEqual(weightFilesOf(dir).map((f) => f.slice(dir.length + 1)), ['model.safetensors.index.json', 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']);
    const expected = createHash('sha256').update(`model.safetensors.index.json\0${index.length}\0${index}`)
      .update('model-00001-of-00002.safetensors\x003\0one').update('model-00002-of-00002.safetensors\x003\0two').digest('hex');
    assert.equal(hashFiles(weightFilesOf(dir)), expected);
    assert.throws(() => weightFilesOf(join(dir, 'nowhere')), /no weights/);
  } finally {
    cleanup();
  }
});
