import { test } from 'node:test';
import assert from 'node:assert/strict';
import { textHash, type TrainingSource } from '../../src/data/training-source.js';
import { planEpoch as plan, type SamplerOptions } from '../../src/train/sampler.js';
import { Random } from '../../src/util/random.js';

/** Rows with given texts and lengths, as a TrainingSource (keys only: the sampler reads nothing else). */
function source(keys: string[][], lengths: number[]): TrainingSource {
  return {
    rows: keys.length, columns: 2, fingerprint: 'test',
    keysOf: (ids) => ({ hashes: Float64Array.from([...ids].flatMap((r) => keys[r]!.map((t) => textHash(t)))), lengths: Uint16Array.from(ids, (r) => lengths[r]!) }),
    tokensOf: () => { throw new Error('not used'); },
  };
}
const planEpoch = (keys: string[][], lengths: number[], o: SamplerOptions, epoch: number) => {
  const { batches, report } = plan(source(keys, lengths), o, epoch);
  return { batches: batches.map((b) => Array.from(b)), report };
};

function rowsWithDuplicates(n: number) {
  const rng = new Random(3);
  const keys: string[][] = [];
  const lengths: number[] = [];
  for (let i = 0; i < n; i++) {
    // popular titles repeat often: t0..t9 appear in about a third of the rows
    const title = rng.next() < 0.3 ? `t${Math.floor(rng.next() * 10)}` : `title-${i}`;
    keys.push([`q${i}`, title]);
    lengths.push(2 + Math.floor(rng.next() * 60));
  }
  return { keys, lengths };
}

test('no text appears twice in a batch; every row is used or reported', () => {
  const { keys, lengths } = rowsWithDuplicates(2000);
  for (const groupByLength of [false, true]) {
    const { batches, report } = planEpoch(keys, lengths, { batchSize: 32, seed: 1, groupByLength }, 0);
    for (const b of batches) {
      const texts = b.flatMap((r) => keys[r]!);
      assert.equal(new Set(texts).size, texts.length, 'duplicate text in a batch');
      assert.ok(b.length <= 32);
    }
    const used = batches.flat();
    assert.equal(new Set(used).size, used.length, 'a row used twice');
    assert.equal(used.length + report.dropped, keys.length);
    assert.ok(report.deferred > 0, 'duplicates should have forced deferrals');
  }
});

test('plans are deterministic per (seed, epoch) and differ across epochs', () => {
  const { keys, lengths } = rowsWithDuplicates(500);
  const o = { batchSize: 16, seed: 9, groupByLength: true };
  assert.deepEqual(planEpoch(keys, lengths, o, 2).batches, planEpoch(keys, lengths, o, 2).batches);
  assert.notDeepEqual(planEpoch(keys, lengths, o, 0).batches, planEpoch(keys, lengths, o, 1).batches);
});

test('length grouping cuts padding: batches hold rows of similar length', () => {
  const { keys, lengths } = rowsWithDuplicates(3200);
  const padded = (groupByLength: boolean) => {
    const { batches } = planEpoch(keys, lengths, { batchSize: 32, seed: 1, groupByLength }, 0);
    return batches.reduce((s, b) => s + b.length * Math.max(...b.map((r) => lengths[r]!)), 0);
  };
  const real = lengths.reduce((a, b) => a + b, 0);
  assert.ok(padded(true) < real * 1.15, `grouped padding ${padded(true)} vs real ${real}`);
  assert.ok(padded(false) > real * 1.5, `random padding ${padded(false)} vs real ${real}`);
});
