import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as T from '../../src/torch/index.js';
import { inBatchNegativesLoss } from '../../src/train/inbatch-negatives.js';
import { DualEncoder } from '../../src/model/dual-encoder.js';
import { cjkChars, microConfig, needsTorch, tokenizerOf } from '../helpers.js';

function normalizedRows(rows: number[][]): number[][] {
  return rows.map((r) => { const n = Math.hypot(...r); return r.map((x) => x / n); });
}

/** The loss written out by hand: mean over rows of -log softmax(scale * (cos - margin·I))[i]. */
function referenceLoss(q: number[][], t: number[][], margin: number, scale: number): number {
  let total = 0;
  q.forEach((qi, i) => {
    const logits = t.map((tj, j) => scale * (qi.reduce((s, x, k) => s + x * tj[k]!, 0) - (i === j ? margin : 0)));
    const max = Math.max(...logits);
    const lse = max + Math.log(logits.reduce((s, l) => s + Math.exp(l - max), 0));
    total += lse - logits[i]!;
  });
  return total / q.length;
}

test('loss equals the hand-written in-batch softmax, with and without hard negatives', { skip: needsTorch }, () => {
  const q = normalizedRows([[1, 0.2, 0], [0.1, 1, 0.3], [0.3, 0.3, 1]]);
  const t = normalizedRows([[0.9, 0.1, 0.1], [0, 1, 0], [0.2, 0.5, 1], [1, 1, 1]]);
  const asTensor = (rows: number[][]) => T.fromData(Float32Array.from(rows.flat()), [rows.length, rows[0]!.length]);
  T.tidy(() => {
    const got = T.item(inBatchNegativesLoss(asTensor(q), asTensor(t.slice(0, 3)), { margin: 0.2, scale: 30 }));
    assert.ok(Math.abs(got - referenceLoss(q, t.slice(0, 3), 0.2, 30)) < 1e-4, `${got}`);
    const withHard = T.item(inBatchNegativesLoss(asTensor(q), asTensor(t), { margin: 0.2, scale: 30 }));
    assert.ok(Math.abs(withHard - referenceLoss(q, t, 0.2, 30)) < 1e-4, `${withHard}`);
    assert.ok(withHard > got, 'an extra negative column can only raise the loss');
  });
});

test('gradient of the whole model matches finite differences (float64, tiny model)', { skip: needsTorch }, () => {
  const tok = tokenizerOf(cjkChars(40));
  for (const pooling of ['cls', 'mean', 'pooler'] as const) {
    const config = { ...microConfig(tok.vocabSize, { pooling, dropout: 0 }), hidden_dropout_prob: 0, attention_probs_dropout_prob: 0 };
    const model = DualEncoder.random(config, tok, 7).cast('float64');
    const queries = model.batch(['一丁七', '万丈三上下', '丌不与丏']);
    const titles = model.batch(['丐丑丒专且', '丕世', '丗丘丙业丛东']);
    const lossOf = () => T.tidy(() => T.item(inBatchNegativesLoss(model.forward(queries, false), model.forward(titles, false), { margin: 0.2, scale: 30 })));
    model.setTrainable(true);
    T.tidy(() => T.backward(inBatchNegativesLoss(model.forward(queries, false), model.forward(titles, false), { margin: 0.2, scale: 30 })));
    const names = ['embeddings.word_embeddings.weight', 'encoder.layer.0.attention.self.query.weight', 'encoder.layer.1.output.dense.weight', 'emb_reduce_linear.weight'];
    if (pooling === 'pooler') names.push('pooler.dense.weight');
    for (const name of names) {
      const p = model.params.get(name)!;
      const analytic = T.toData(T.grad(p)!) as Float64Array;
      const values = T.toData(p) as Float64Array;
      // probe the coordinates with the largest gradients, plus a fixed one
      const idx = Array.from(analytic.keys()).sort((a, b) => Math.abs(analytic[b]!) - Math.abs(analytic[a]!)).slice(0, 3);
      for (const i of idx) {
        const h = 1e-5;
        const probe = (delta: number) => {
          const v = Float64Array.from(values); v[i] = values[i]! + delta;
          T.noGrad(() => T.tidy(() => T.copy_(p, T.fromData(v, p.shape))));
          return lossOf();
        };
        const numeric = (probe(h) - probe(-h)) / (2 * h);
        probe(0);
        // central differences in float64: absolute error ~1e-10, so a real bug shows as an O(1) relative error
        assert.ok(Math.abs(numeric - analytic[i]!) < 1e-8 + 1e-4 * Math.abs(numeric), `${pooling} ${name}[${i}]: analytic ${analytic[i]} vs numeric ${numeric}`);
      }
      assert.ok(idx.some((i) => Math.abs(analytic[i]!) > 1e-6), `${pooling} ${name}: gradient is all zero`);
    }
    model.dispose();
  }
});

/** Masked loss and its gradients in float64, written out: masked columns leave the softmax. */
function referenceMasked(q: number[][], t: number[][], margin: number, scale: number, d: number, keys?: number[]) {
  const B = q.length, dim = q[0]!.length;
  const S = q.map((qi) => t.map((tj) => qi.reduce((s, x, k) => s + x * tj[k]!, 0)));
  const kept = S.map((row, i) => row.map((s, j) => j === i || !(s > row[i]! + d || (keys !== undefined && keys[j] === keys[i]))));
  const gq = q.map(() => new Array<number>(dim).fill(0)), gt = t.map(() => new Array<number>(dim).fill(0));
  let loss = 0, masked = 0;
  S.forEach((row, i) => {
    const logits = row.map((s, j) => scale * (s - (i === j ? margin : 0)));
    const max = Math.max(...logits.filter((_, j) => kept[i]![j]));
    const z = logits.reduce((acc, l, j) => acc + (kept[i]![j] ? Math.exp(l - max) : 0), 0);
    loss += max + Math.log(z) - logits[i]!;
    row.forEach((_, j) => {
      if (!kept[i]![j]) { masked++; return; }
      const dS = (scale * (Math.exp(logits[j]! - max) / z - (i === j ? 1 : 0))) / B; // dL/dS_ij
      for (let k = 0; k < dim; k++) { gq[i]![k]! += dS * t[j]![k]!; gt[j]![k]! += dS * q[i]![k]!; }
    });
  });
  return { loss: loss / B, gq, gt, masked };
}

test('false-negative masking: loss and gradients equal a float64 reference with masked entries removed; off is bit-identical', { skip: needsTorch }, () => {
  // row 0's column 2 scores above its positive (a false negative); title 3 (a hard negative) repeats row 1's positive text
  const q = normalizedRows([[1, 0.2, 0, 0.1], [0.1, 1, 0.3, 0], [0.3, 0.3, 1, 0.2]]);
  const t = normalizedRows([[0.7, 0.1, 0.1, 0.6], [0, 1, 0, 0.1], [1, 0.2, 0.05, 0.1], [0.2, 0.9, 0.3, 0]]);
  const keys = [11, 22, 33, 22];
  const leaf = (rows: number[][]) => T.setRequiresGrad(T.fromData(Float64Array.from(rows.flat()), [rows.length, rows[0]!.length]));
  for (const [d, withKeys] of [[0.1, true], [0.1, false], [-0.5, true]] as const) {
    const ref = referenceMasked(q, t, 0.2, 30, d, withKeys ? keys : undefined);
    const Q = leaf(q), Tt = leaf(t);
    const stats = { masked: 0, suspects: [] };
    T.tidy(() => {
      const l = inBatchNegativesLoss(Q, Tt, { margin: 0.2, scale: 30, titleKeys: withKeys ? Float64Array.from(keys) : undefined, falseNegatives: { margin: d, stats } });
      assert.ok(Math.abs(T.item(l) - ref.loss) < 1e-12, `d ${d}: loss ${T.item(l)} vs ${ref.loss}`);
      T.backward(l);
    });
    assert.equal(stats.masked, ref.masked);
    assert.ok(ref.masked > 0, 'the batch has masked entries');
    const close = (a: Float64Array, b: number[][]) => b.flat().every((x, i) => Math.abs(x - a[i]!) < 1e-12);
    assert.ok(close(T.toData(T.grad(Q)!) as Float64Array, ref.gq), `d ${d}: query gradient`);
    assert.ok(close(T.toData(T.grad(Tt)!) as Float64Array, ref.gt), `d ${d}: title gradient`);
  }
  // with the option off, the step is today's, bit for bit
  const asF32 = (rows: number[][]) => T.fromData(Float32Array.from(rows.flat()), [rows.length, rows[0]!.length]);
  T.tidy(() => {
    const plain = T.item(inBatchNegativesLoss(asF32(q), asF32(t), { margin: 0.2, scale: 30 }));
    const huge = T.item(inBatchNegativesLoss(asF32(q), asF32(t), { margin: 0.2, scale: 30, falseNegatives: { margin: 10 } }));
    assert.equal(huge, plain, 'a margin nothing reaches masks nothing');
    assert.ok(Math.abs(plain - referenceLoss(q, t, 0.2, 30)) < 1e-4);
  });
});
