// The CLI end to end as a user runs it: init -> train -> recall -> evaluate -> mteb -> compare.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { needsTorch, repoRoot, tempDir, writeVocab } from '../helpers.js';
import { SYNTHETIC_CHARS, syntheticPairs } from '../train/synthetic.js';

const cli = join(repoRoot, 'dist', 'src', 'cli', 'main.js');

function inbatch(...args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('usage errors name the flag and exit 2', () => {
  const r = inbatch('train', '--batch-size', 'many');
  assert.equal(r.code, 2);
  assert.match(r.err, /--batch-size must be a number, got "many"/);
  assert.match(inbatch('nope').err, /unknown command "nope"/);
  assert.match(inbatch('evaluate', '--bogus', '1').err, /unknown flag --bogus/);
  assert.match(inbatch('train', '--help').out, /--learning-rate <number>/);
});

test('init, train (snake_case flags too), recall, evaluate, mteb, evaluate-run and compare', { skip: needsTorch }, () => {
  const { dir, cleanup } = tempDir();
  try {
    const vocab = writeVocab(dir, SYNTHETIC_CHARS);
    const { train, heldOut } = syntheticPairs(30, 6, 5);
    writeFileSync(join(dir, 'train.tsv'), train.map((p) => `${p.query}\t${p.positive}\n`).join(''));
    writeFileSync(join(dir, 'dev.tsv'), heldOut.map((p) => `${p.query}\t${p.positive}\n`).join(''));
    writeFileSync(join(dir, 'corpus.txt'), heldOut.map((p) => p.positive).join('\n') + '\n');
    writeFileSync(join(dir, 'queries.tsv'), heldOut.map((p, i) => `q${i}\t${p.query}\n`).join(''));
    writeFileSync(join(dir, 'corpus.tsv'), heldOut.map((p, i) => `d${i}\t${p.positive}\n`).join(''));
    writeFileSync(join(dir, 'qrels.tsv'), heldOut.map((_, i) => `q${i}\td${i}\t1\n`).join(''));

    let r = inbatch('init', '--config', 'tiny', '--vocab', vocab, '--pooling', 'mean', '--output-emb-size', '32', '--max-seq-length', '16', '--save-dir', join(dir, 'init'));
    assert.equal(r.code, 0, r.err);
    r = inbatch('train', '--model', join(dir, 'init'), '--train_set', join(dir, 'train.tsv'), '--save_dir', join(dir, 'run'),
      '--batch_size', '16', '--learning-rate', '1e-3', '--max-steps', '30', '--save-steps', '10', '--evaluate', '--eval-steps', '15',
      '--similar-text-pair-file', join(dir, 'dev.tsv'), '--corpus-file', join(dir, 'corpus.txt'), '--recall-num', '10');
    assert.equal(r.code, 0, r.err);
    const summary = JSON.parse(r.out);
    assert.equal(summary.steps, 30);
    assert.equal(summary.evaluations.length, 2);
    for (const f of ['model_best', 'model_final', 'checkpoint-30', 'train_log.jsonl', 'loss.svg', 'recall.svg']) assert.ok(existsSync(join(dir, 'run', f)), f);

    r = inbatch('recall', '--model', join(dir, 'run', 'model_final'), '--corpus-file', join(dir, 'corpus.txt'), '--similar-text-pair-file', join(dir, 'dev.tsv'),
      '--recall-result-dir', join(dir, 'recall'), '--recall-num', '10', '--exact');
    assert.equal(r.code, 0, r.err);
    const lines = readFileSync(join(dir, 'recall', 'recall_result.txt'), 'utf8').trim().split('\n');
    assert.equal(lines.length, heldOut.length * 10);
    assert.equal(lines[0]!.split('\t')[0], heldOut[0]!.query);
    assert.ok(existsSync(join(dir, 'recall', 'index', 'index.json')));
    // a second run reuses the stored corpus embeddings and gives the same result
    r = inbatch('recall', '--model', join(dir, 'run', 'model_final'), '--corpus-file', join(dir, 'corpus.txt'), '--similar-text-pair-file', join(dir, 'dev.tsv'),
      '--recall-result-dir', join(dir, 'recall'), '--recall-result-file', 'again.txt', '--recall-num', '10', '--exact', '--reuse-embeddings');
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /reused \d+ corpus embeddings/);
    assert.equal(readFileSync(join(dir, 'recall', 'again.txt'), 'utf8'), lines.join('\n') + '\n');

    r = inbatch('evaluate', '--similar-text-pair-file', join(dir, 'dev.tsv'), '--recall-result-file', join(dir, 'recall', 'recall_result.txt'), '--recall-num', '10', '--json', '--model-name', 'trained');
    assert.equal(r.code, 0, r.err);
    const paddle = JSON.parse(r.out);
    assert.equal(paddle.queries, heldOut.length);
    // the model's own training-time evaluation at step 30 used the same data and exact search
    assert.ok(Math.abs(paddle.paddle_recall.recall_at_5 - summary.evaluations[1].recall['5']) < 1e-9);
    writeFileSync(join(dir, 'paddle.json'), r.out);

    r = inbatch('mteb', '--model', join(dir, 'run', 'model_final'), '--queries', join(dir, 'queries.tsv'), '--corpus', join(dir, 'corpus.tsv'),
      '--qrels', join(dir, 'qrels.tsv'), '--output-folder', join(dir, 'mteb'), '--task-name', 'Synthetic');
    assert.equal(r.code, 0, r.err);
    const mteb = JSON.parse(readFileSync(join(dir, 'mteb', 'Synthetic.json'), 'utf8'));
    assert.equal(mteb.mteb_dataset_name, 'Synthetic');
    for (const k of [1, 3, 5, 10, 100, 1000]) for (const m of ['ndcg', 'map', 'mrr', 'precision', 'recall']) assert.equal(typeof mteb.dev[`${m}_at_${k}`], 'number');
    assert.ok(Math.abs(mteb.dev.paddle_recall.recall_at_5 - paddle.paddle_recall.recall_at_5) < 1e-9, 'same model, same data: same Recall@5 both ways');
    assert.equal(mteb.dev.recall_at_1000, 1);

    r = inbatch('mteb', '--model', join(dir, 'init'), '--queries', join(dir, 'queries.tsv'), '--corpus', join(dir, 'corpus.tsv'),
      '--qrels', join(dir, 'qrels.tsv'), '--output-folder', join(dir, 'mteb-init'), '--task-name', 'Synthetic', '--model-name', 'untrained');
    assert.equal(r.code, 0, r.err);
    r = inbatch('compare', join(dir, 'mteb-init', 'Synthetic.json'), join(dir, 'mteb', 'Synthetic.json'), join(dir, 'paddle.json'), '--chart', join(dir, 'cmp.svg'));
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /\| model +\| ndcg@10 +\| Recall@1 +\| Recall@10 +\| Recall@100 +\| Recall@1000 \|/);
    assert.match(r.out, /\| untrained /);
    assert.match(r.out, /recall@50/);
    assert.ok(readFileSync(join(dir, 'cmp.svg'), 'utf8').includes('<polyline'));

    writeFileSync(join(dir, 'run.trec'), heldOut.map((_, i) => `q${i} Q0 d${i} 1 1.0 oracle\n`).join(''));
    r = inbatch('evaluate-run', '--run', join(dir, 'run.trec'), '--qrels', join(dir, 'qrels.tsv'));
    assert.equal(r.code, 0, r.err);
    assert.equal(JSON.parse(r.out).dev.ndcg_at_10, 1);

    writeFileSync(join(dir, 'bad.tsv'), 'q\tp\nno tab here\n');
    r = inbatch('train', '--model', join(dir, 'init'), '--train-set', join(dir, 'bad.tsv'), '--save-dir', join(dir, 'bad'));
    assert.equal(r.code, 1);
    assert.match(r.err, /bad\.tsv:2: expected query<TAB>positive, found one column/);
  } finally {
    cleanup();
  }
});
