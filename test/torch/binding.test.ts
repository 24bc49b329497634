// The contract of the libtorch binding: scopes, disposal, errors, data round trips, worker threads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import * as T from '../../src/torch/index.js';
import { loadNative } from '../../src/torch/native.js';
import { needsTorch } from '../helpers.js';

const skip = needsTorch;

test('tidy disposes what it does not return; what it returns and what keep() marks survive', { skip }, () => {
  let inner!: T.Tensor, kept!: T.Tensor;
  const result = T.tidy(() => {
    inner = T.ones([2, 2]);
    kept = T.keep(T.full([1], 3));
    const nested = T.tidy(() => ({ sum: T.add(T.ones([2]), 1), list: [T.zeros([1])] }));
    return { out: T.mul(inner, 2), nested };
  });
  assert.equal(inner.isDisposed, true);
  assert.equal(kept.isDisposed, false);
  assert.deepEqual(Array.from(T.toFloat32(result.out)), [2, 2, 2, 2]);
  assert.deepEqual(Array.from(T.toFloat32(result.nested.sum)), [2, 2]);
  assert.equal(result.nested.list[0]!.isDisposed, false);
  assert.deepEqual(Array.from(T.toFloat32(kept)), [3]);
  for (const t of [result.out, result.nested.sum, result.nested.list[0]!, kept]) t.dispose();
  // a throwing scope still disposes what it made
  let made!: T.Tensor;
  assert.throws(() => T.tidy(() => { made = T.ones([1]); throw new Error('boom'); }), /boom/);
  assert.equal(made.isDisposed, true);
});

test('a disposed tensor throws instead of reading freed memory', { skip }, () => {
  const t = T.ones([3]);
  t.dispose();
  t.dispose(); // twice is harmless
  assert.throws(() => T.toFloat32(t), /tensor was disposed/);
  assert.throws(() => T.add(t, 1), /tensor was disposed/);
});

test('libtorch errors become JS errors naming libtorch; the binding\'s own errors do not', { skip }, () => {
  const a = T.ones([2, 3]), b = T.ones([4, 5]);
  assert.throws(() => T.matmul(a, b), (e: Error) => e instanceof Error && /^libtorch: .*(shape|size|mat1 and mat2)/i.test(e.message));
  assert.throws(() => T.fromData(new Float32Array(5), [2, 3]), (e: Error) => e instanceof TypeError && /^inbatch_torch: data length 5 does not match shape \(6 elements\)/.test(e.message));
  const native = loadNative();
  assert.throws(() => native.dispose({} as never), /expected a Tensor/);
  assert.throws(() => native.trackMemory({ native: 1 } as never), /expected a Tensor/);
  assert.throws(() => native.add(a.native, 5 as never), /expected a Tensor/);
  a.dispose(); b.dispose();
});

test('fromData -> toData round-trips every dtype', { skip }, () => {
  const cases: [T.TensorData, T.DType][] = [
    [Float32Array.from([1.5, -2.25, 3e-8, 65504]), 'float32'],
    [Float64Array.from([1 / 3, -1e300, 5e-324]), 'float64'],
    [BigInt64Array.from([1n, -2n, 9007199254740993n]), 'int64'],
    [Int32Array.from([7, -8, 2147483647]), 'int32'],
    [Uint8Array.from([0, 1, 255]), 'uint8'],
  ];
  for (const [data, dtype] of cases) {
    const t = T.fromData(data, [data.length]);
    assert.equal(t.dtype, dtype);
    assert.deepEqual(t.shape, [data.length]);
    assert.deepEqual(Array.from(T.toData(t) as ArrayLike<unknown>), Array.from(data as ArrayLike<unknown>), dtype);
    t.dispose();
  }
  // Uint16 carries raw float16 bits: 0x3c00 = 1, 0xc000 = -2
  const half = T.fromData(Uint16Array.from([0x3c00, 0xc000]), [2]);
  assert.equal(half.dtype, 'float16');
  assert.deepEqual(Array.from(T.toFloat32(half)), [1, -2]);
  half.dispose();
});

test('the addon loads and computes in a worker thread (per-environment state)', { skip }, async () => {
  T.ones([1]).dispose(); // loaded on the main thread first
  const worker = new Worker(new URL('./binding-worker.js', import.meta.url));
  const answer = await new Promise<unknown>((resolve, reject) => { worker.once('message', resolve); worker.once('error', reject); });
  await worker.terminate();
  assert.deepEqual(answer, [5, 7, 9]);
  // the main thread's tensors still work afterwards
  const t = T.add(T.ones([2]), 1);
  assert.deepEqual(Array.from(T.toFloat32(t)), [2, 2]);
});
