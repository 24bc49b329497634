// Checkpoints past 2 GiB (one readFileSync's limit) are read by position: safetensors tensors and
// torch.save storages that lie beyond 2 GiB load, and nothing is read past the end of a file.
// The files are sparse (a hole of 2 GiB costs no disk and is never read).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, openSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { RandomAccessFile, withFile } from '../../src/weights/random-access-file.js';
import { decode, readSafetensors } from '../../src/weights/safetensors.js';
import { readTorchCheckpoint } from '../../src/weights/torch-checkpoint.js';
import { tempDir } from '../helpers.js';
import { torchSaveBytes } from './pickle-writer.js';

const GAP = 2 ** 31 + 4096;

/** Writes pieces at their positions; the bytes between them stay a hole. */
function writeSparse(path: string, pieces: [number, Uint8Array][]): void {
  const fd = openSync(path, 'w');
  try {
    for (const [at, bytes] of pieces) writeSync(fd, bytes, 0, bytes.length, at);
  } finally {
    closeSync(fd);
  }
}

const f32 = (values: number[]) => new Uint8Array(Float32Array.from(values).buffer);

test('a safetensors file of more than 2 GiB: a tensor beyond 2 GiB loads, and the one before it', () => {
  const { dir, cleanup } = tempDir();
  try {
    const file = join(dir, 'model.safetensors');
    const header = Buffer.from(JSON.stringify({
      near: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
      far: { dtype: 'F32', shape: [3], data_offsets: [GAP, GAP + 12] },
    }));
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(BigInt(header.length));
    const base = 8 + header.length;
    writeSparse(file, [[0, length], [8, header], [base, f32([1.5, -2])], [base + GAP, f32([3, 4, 5.25])]]);
    assert.ok(statSync(file).size > 2 ** 31);
    const { tensors } = readSafetensors(file);
    assert.deepEqual(Array.from(tensors.get('near')!.data), [1.5, -2]);
    assert.deepEqual(Array.from(tensors.get('far')!.data), [3, 4, 5.25]);
  } finally {
    cleanup();
  }
});

test('a pytorch_model.bin whose zip starts beyond 2 GiB loads (offsets are absolute)', () => {
  const { dir, cleanup } = tempDir();
  try {
    const file = join(dir, 'pytorch_model.bin');
    const w = { shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) };
    writeSparse(file, [[GAP, torchSaveBytes(new Map([['w', w]]), new Set(['w']), GAP)]]);
    assert.ok(statSync(file).size > 2 ** 31);
    const t = readTorchCheckpoint(file).get('w')!;
    assert.deepEqual(t.shape, [2, 3]);
    assert.deepEqual(Array.from(t.data), [1, 2, 3, 4, 5, 6]);
  } finally {
    cleanup();
  }
});

test('reads by position are checked against the file size and name the file, range and purpose', () => {
  const { dir, cleanup } = tempDir();
  try {
    const file = join(dir, 'x.bin');
    writeSparse(file, [[0, f32([1, 2, 3])]]);
    withFile(file, (f) => {
      assert.equal(f.size, 12);
      assert.deepEqual(Array.from(new Float32Array(f.read(4, 8).slice().buffer)), [2, 3]);
      assert.throws(() => f.read(8, 8, 'tensor w'), /x\.bin: tensor w at bytes \[8, 16\) runs past the end of the file \(12 bytes; truncated\?\)/);
      assert.throws(() => f.read(-1, 2), /bad byte range/);
    });
    assert.throws(() => RandomAccessFile.open(join(dir, 'missing')), /missing: cannot read \(ENOENT\)/);
    assert.throws(() => RandomAccessFile.open(dir), /not a regular file/);
    // a safetensors header that promises more bytes than the file has
    const header = Buffer.from(JSON.stringify({ w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }));
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(BigInt(header.length));
    const st = join(dir, 'short.safetensors');
    writeSparse(st, [[0, length], [8, header], [8 + header.length, f32([1, 2])]]);
    assert.throws(() => readSafetensors(st), /short\.safetensors: tensor w: runs past the end of the file/);
  } finally {
    cleanup();
  }
});

test('decoding float32 takes the bytes as they are: views at odd offsets of a Buffer, and a whole buffer', () => {
  const values = [1.5, -2, 3.25, 1e-30];
  const file = Buffer.concat([Buffer.from([7, 7, 7]), Buffer.from(f32(values)), Buffer.from([9])]);
  const view = file.subarray(3, 3 + 16);
  assert.deepEqual(Array.from(decode('F32', view, 4, 'v')), Array.from(Float32Array.from(values)));
  const whole = f32(values);
  const decoded = decode('F32', whole, 4, 'w');
  assert.deepEqual(Array.from(decoded), Array.from(Float32Array.from(values)));
  // a view is copied (the file's buffer is not kept alive or written through)
  decode('F32', view, 4, 'v')[0] = 100;
  assert.equal(file[3], f32(values)[0]);
});
