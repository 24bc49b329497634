import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as T from '../../src/torch/index.js';
import { AdamW, decays } from '../../src/train/adamw.js';
import { clipGradNorm } from '../../src/train/clip.js';
import { linearWarmupDecay } from '../../src/train/schedule.js';
import { needsTorch } from '../helpers.js';

test('linear warmup then linear decay', () => {
  assert.equal(linearWarmupDecay(0, 1, 10, 110), 0);
  assert.equal(linearWarmupDecay(5, 1, 10, 110), 0.5);
  assert.equal(linearWarmupDecay(10, 1, 10, 110), 1);
  assert.equal(linearWarmupDecay(60, 1, 10, 110), 0.5);
  assert.equal(linearWarmupDecay(110, 1, 10, 110), 0);
  assert.equal(linearWarmupDecay(0, 2, 0, 100), 2);
});

test('no weight decay on bias and LayerNorm', () => {
  assert.equal(decays('encoder.layer.0.attention.self.query.weight'), true);
  assert.equal(decays('encoder.layer.0.attention.self.query.bias'), false);
  assert.equal(decays('embeddings.LayerNorm.weight'), false);
});

test('AdamW matches the update written out by hand', { skip: needsTorch }, () => {
  const w = T.keep(T.setRequiresGrad(T.fromData(Float64Array.from([1, -2]), [2])));
  const b = T.keep(T.setRequiresGrad(T.fromData(Float64Array.from([0.5]), [1])));
  const opt = new AdamW([['dense.weight', w], ['dense.bias', b]], { weightDecay: 0.1 });
  let ref = { w: [1, -2], b: 0.5, m: [0, 0, 0], v: [0, 0, 0] };
  const lr = 0.01;
  for (let step = 1; step <= 3; step++) {
    // loss = sum(w^2) * 0.5 + 3 b  -> grads w, 3
    T.tidy(() => T.backward(T.add(T.mul(T.sum(T.mul(w, w)), 0.5), T.mul(T.sum(b), 3))));
    opt.update(lr);
    opt.zeroGrad();
    const g = [...ref.w, 3];
    const p = [...ref.w, ref.b];
    const out = p.map((x, i) => {
      const decayed = i < 2 ? x * (1 - lr * 0.1) : x;
      ref.m[i] = 0.9 * ref.m[i]! + 0.1 * g[i]!;
      ref.v[i] = 0.999 * ref.v[i]! + 0.001 * g[i]! ** 2;
      const mh = ref.m[i]! / (1 - 0.9 ** step), vh = ref.v[i]! / (1 - 0.999 ** step);
      return decayed - lr * mh / (Math.sqrt(vh) + 1e-8);
    });
    ref = { ...ref, w: out.slice(0, 2), b: out[2]! };
  }
  const got = [...(T.toData(w) as Float64Array), ...(T.toData(b) as Float64Array)];
  [...ref.w, ref.b].forEach((x, i) => assert.ok(Math.abs(x - got[i]!) < 1e-7, `param ${i}: ${got[i]} vs ${x}`));
});

test('clipping by global norm scales all gradients together', { skip: needsTorch }, () => {
  const a = T.keep(T.setRequiresGrad(T.fromData(Float32Array.from([3]), [1])));
  const b = T.keep(T.setRequiresGrad(T.fromData(Float32Array.from([4]), [1])));
  T.tidy(() => T.backward(T.add(T.mul(T.sum(a), 3), T.mul(T.sum(b), 4))));
  const norm = clipGradNorm([a, b], 1);
  assert.ok(Math.abs(norm - 5) < 1e-5);
  const ga = T.item(T.grad(a)!), gb = T.item(T.grad(b)!);
  assert.ok(Math.abs(Math.hypot(ga, gb) - 1) < 1e-4);
  assert.ok(Math.abs(ga / gb - 0.75) < 1e-5);
});
