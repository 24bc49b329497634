// recall and mteb with --retriever bm25 | hybrid, TREC runs through evaluate-run and fuse,
// and mine, run as a user runs them on one small world (an untrained model ranks well enough).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { needsShared, needsTorch, sharedData, tempDir } from '../helpers.js';
import { join } from 'node:path';
import { inbatch, inbatchChild, writeCliWorld, type CliWorld } from './cli-fixture.js';
import type { AddressInfo } from 'node:net';
import { Embedder } from '../../src/infer/embedder.js';
import { buildServer } from '../../src/serve/server.js';

const skip = needsTorch;
const work = tempDir();
let w: CliWorld;

before(() => {
  if (skip) return;
  w = writeCliWorld(work.dir, 60);
  const init = inbatch('init', '--config', 'tiny', '--vocab', w.vocab, '--output-emb-size', '32', '--max-seq-length', '16', '--save-dir', w.file('model'));
  assert.equal(init.code, 0, init.err);
});

after(() => work.cleanup());

const trecLines = (file: string) => readFileSync(file, 'utf8').trim().split('\n').map((l) => l.split(' '));
function runOf(file: string): Map<string, Map<string, number>> {
  const run = new Map<string, Map<string, number>>();
  for (const [q, , d, , s] of trecLines(file)) run.set(q!, (run.get(q!) ?? new Map()).set(d!, Number(s)));
  return run;
}

test('recall writes TREC runs and qrels that score in evaluate-run as evaluate scores the recall file; bm25 needs no model', { skip }, () => {
  const bm25 = inbatch('recall', '--retriever', 'bm25', '--corpus-file', w.file('corpus.txt'), '--similar-text-pair-file', w.file('dev.tsv'),
    '--recall-result-dir', w.file('bm25'), '--recall-num', '10', '--trec-run', w.file('bm25.trec'));
  assert.equal(bm25.code, 0, bm25.err);
  assert.ok(existsSync(w.file('bm25/bm25/bm25.json')));
  const dense = inbatch('recall', '--model', w.file('model'), '--corpus-file', w.file('corpus.txt'), '--similar-text-pair-file', w.file('dev.tsv'),
    '--recall-result-dir', w.file('dense'), '--recall-num', '10', '--fusion-depth', '10', '--exact', '--trec-run', w.file('dense.trec'));
  assert.equal(dense.code, 0, dense.err);
  for (const kind of ['bm25', 'dense']) {
    const evaluate = inbatch('evaluate', '--similar-text-pair-file', w.file('dev.tsv'), '--recall-result-file', w.file(`${kind}/recall_result.txt`), '--recall-num', '10', '--json');
    assert.equal(evaluate.code, 0, evaluate.err);
    const run = inbatch('evaluate-run', '--run', w.file(`${kind}.trec`), '--qrels', w.file(`${kind}.trec.qrels`));
    assert.equal(run.code, 0, run.err);
    // one gold text per query in this corpus: trec recall@k x 100 is PaddleNLP's hit rate. trec_eval
    // orders tied scores by document id, so BM25's frequent ties move hits: only dense must agree exactly
    const hit = JSON.parse(evaluate.out).paddle_recall_pct;
    const trec = JSON.parse(run.out).scores.dev[0];
    for (const k of [1, 5, 10]) {
      const gap = Math.abs(trec[`recall_at_${k}`] * 100 - hit[`success_at_${k}`]);
      assert.ok(kind === 'dense' ? gap < 1e-9 : gap < 10, `${kind} k=${k}: ${trec[`recall_at_${k}`]} vs ${hit[`success_at_${k}`]}`);
    }
    assert.ok(hit.success_at_10 > 50, `${kind} finds most gold texts of this world (${hit.success_at_10})`);
  }
  const noModel = inbatch('recall', '--retriever', 'hybrid', '--corpus-file', w.file('corpus.txt'), '--similar-text-pair-file', w.file('dev.tsv'));
  assert.equal(noModel.code, 2);
  assert.match(noModel.err, /--model is needed with --retriever hybrid/);
});

test('fuse of the dense and the BM25 runs equals recall --retriever hybrid at the same depth', { skip }, () => {
  const r = inbatch('recall', '--model', w.file('model'), '--retriever', 'hybrid', '--corpus-file', w.file('corpus.txt'), '--similar-text-pair-file', w.file('dev.tsv'),
    '--recall-result-dir', w.file('hybrid'), '--recall-num', '10', '--fusion-depth', '10', '--exact', '--trec-run', w.file('hybrid.trec'), '--hybrid-weights', '1,1');
  assert.equal(r.code, 0, r.err);
  assert.ok(existsSync(w.file('dense/index/bm25/bm25.json')), 'the index folder carries the BM25 part');
  const fused = inbatch('fuse', '--run', w.file('dense.trec'), '--run', w.file('bm25.trec'), '--k', '60', '--top-k', '10', '--output', w.file('fused.trec'));
  assert.equal(fused.code, 0, fused.err);
  const mine = runOf(w.file('fused.trec')), hybrid = runOf(w.file('hybrid.trec')), lexical = runOf(w.file('bm25.trec'));
  assert.deepEqual([...mine.keys()].sort(), [...hybrid.keys()].sort());
  // fuse ranks a run in trec_eval's order, where tied scores go by document id; recall's hybrid
  // fused BM25's own order. So the two agree exactly wherever the BM25 list has no tie.
  let compared = 0;
  for (const [q, docs] of hybrid) {
    const bm25Scores = [...(lexical.get(q)?.values() ?? [])];
    if (new Set(bm25Scores).size !== bm25Scores.length) continue;
    compared++;
    assert.deepEqual(mine.get(q), docs, `query ${q}`);
  }
  assert.ok(compared >= 3, `${compared} queries without BM25 ties`);
  const weighted = inbatch('fuse', '--run', w.file('dense.trec'), '--run', w.file('bm25.trec'), '--weights', '0,1', '--output', w.file('w.trec'));
  assert.equal(weighted.code, 0, weighted.err);
  // weight 0 for dense: the BM25 run's order survives (trec_eval's: score descending, ties by document id descending)
  const bm25Order = trecLines(w.file('bm25.trec')).filter((l) => l[0] === '1').map((l) => ({ id: l[2]!, score: Number(l[4]) }))
    .sort((a, b) => b.score - a.score || (a.id < b.id ? 1 : -1)).map((d) => d.id);
  assert.deepEqual(trecLines(w.file('w.trec')).filter((l) => l[0] === '1').map((l) => l[2]).slice(0, bm25Order.length), bm25Order);
  const one = inbatch('fuse', '--run', w.file('dense.trec'), '--output', w.file('x.trec'));
  assert.equal(one.code, 2);
  assert.match(one.err, /at least twice/);
  const badWeights = inbatch('fuse', '--run', w.file('dense.trec'), '--run', w.file('bm25.trec'), '--weights', '1,2,3', '--output', w.file('x.trec'));
  assert.equal(badWeights.code, 2);
  assert.match(badWeights.err, /--weights has 3 value\(s\) for 2 runs/);
});

test('hybrid auto: the fusion is fitted on calibration pairs, written beside the index, reused, used by fuse; the evaluated file is refused', { skip }, () => {
  const args = ['recall', '--model', w.file('model'), '--retriever', 'hybrid', '--corpus-file', w.file('corpus.txt'), '--similar-text-pair-file', w.file('dev.tsv'),
    '--recall-result-dir', w.file('auto'), '--recall-num', '10', '--exact', '--calibration-pairs', w.file('train.tsv')];
  const first = inbatch(...args);
  assert.equal(first.code, 0, first.err);
  assert.match(first.err, /hybrid fusion: .*300 calibration queries from pairs/);
  const fit = JSON.parse(readFileSync(w.file('auto/index/fusion.json'), 'utf8'));
  assert.equal(fit.format, 'inbatch-fusion');
  assert.equal(fit.calibration.queries, 300);
  assert.ok(['dense', 'bm25', 'hybrid'].includes(fit.retriever));
  for (const s of ['dense', 'bm25', 'fused']) assert.ok(fit.calibration[s].recall >= 0 && fit.calibration[s].recall <= 100);
  const second = inbatch(...args);
  assert.equal(second.code, 0, second.err);
  assert.match(second.err, /reused hybrid fusion/);
  assert.deepEqual(readFileSync(w.file('auto/recall_result.txt')), readFileSync(w.file('auto/recall_result.txt')));
  const leak = inbatch(...args.slice(0, -1), w.file('dev.tsv'));
  assert.equal(leak.code, 2);
  assert.match(leak.err, /is the file being evaluated/);
  const fused = inbatch('fuse', '--run', w.file('dense.trec'), '--run', w.file('bm25.trec'), '--fusion', w.file('auto/index/fusion.json'), '--output', w.file('auto.trec'));
  assert.equal(fused.code, 0, fused.err);
  assert.match(fused.err, /hybrid fusion: /);
  const zero = inbatch('fuse', '--run', w.file('dense.trec'), '--run', w.file('bm25.trec'), '--weights', '0,0', '--output', w.file('zero.trec'));
  assert.equal(zero.code, 2);
  assert.match(zero.err, /at least one weight must be above 0/);
});

test('mteb --retriever bm25 and hybrid write MTEB JSON and a TREC run', { skip }, () => {
  for (const kind of ['bm25', 'hybrid']) {
    const args = ['mteb', '--retriever', kind, '--queries', w.file('queries.tsv'), '--corpus', w.file('corpus.tsv'), '--qrels', w.file('qrels.tsv'),
      '--output-folder', w.file(`mteb-${kind}`), '--task-name', 'Synthetic', '--trec-run', w.file(`mteb-${kind}.trec`)];
    const r = inbatch(...args, ...(kind === 'hybrid' ? ['--model', w.file('model'), '--calibration-pairs', w.file('train.tsv')] : []));
    assert.equal(r.code, 0, r.err);
    const json = JSON.parse(readFileSync(w.file(`mteb-${kind}/${kind === 'bm25' ? 'bm25' : 'model'}/no_revision_available/Synthetic.json`), 'utf8'));
    const again = JSON.parse(inbatch('evaluate-run', '--run', w.file(`mteb-${kind}.trec`), '--qrels', w.file('qrels.tsv')).out);
    assert.ok(Math.abs(json.scores.dev[0].ndcg_at_10 - again.scores.dev[0].ndcg_at_10) < 1e-6, `${kind}: the written run scores as the JSON says`);
  }
});

test('mine: negatives come from the rank window, never the positive or the query, never within the margin', { skip }, () => {
  // the corpus to mine from: the training positives; the model's full ranking of it comes from recall
  const train = readFileSync(w.file('train.tsv'), 'utf8').trim().split('\n').map((l) => l.split('\t'));
  const positives = [...new Set(train.map((c) => c[1]!))];
  writeFileSync(w.file('train-corpus.txt'), positives.join('\n') + '\n');
  const full = inbatch('recall', '--model', w.file('model'), '--corpus-file', w.file('train-corpus.txt'), '--similar-text-pair-file', w.file('train.tsv'),
    '--recall-result-dir', w.file('train-rank'), '--recall-num', String(positives.length), '--exact');
  assert.equal(full.code, 0, full.err);
  const ranking = new Map<string, { text: string; score: number }[]>();
  for (const line of readFileSync(w.file('train-rank/recall_result.txt'), 'utf8').trim().split('\n')) {
    const [q, text, score] = line.split('\t');
    ranking.set(q!, [...(ranking.get(q!) ?? []), { text: text!, score: Number(score) }]);
  }
  const [min, max, margin] = [5, 15, 0.002]; // an untrained model scores everything within a few hundredths
  const r = inbatch('mine', '--model', w.file('model'), '--train-set', w.file('train.tsv'), '--corpus-file', w.file('train-corpus.txt'), '--output', w.file('mined.tsv'),
    '--negatives', '3', '--range-min', String(min), '--range-max', String(max), '--margin', String(margin), '--exact');
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /rows, \d+ negatives mined; \d+ row\(s\) got fewer than 3/);
  const rows = readFileSync(w.file('mined.tsv'), 'utf8').trim().split('\n').map((l) => l.split('\t'));
  assert.equal(rows.length, train.length);
  let agree = 0, mined = 0;
  rows.forEach((cols, i) => {
    const [query, positive, ...negatives] = cols;
    assert.deepEqual([query, positive], train[i]);
    assert.ok(negatives.length <= 3);
    const list = ranking.get(query!)!;
    const positiveScore = list.find((c) => c.text === positive)!.score;
    for (const n of negatives) {
      mined++;
      assert.ok(n !== positive && n !== query, `row ${i + 1}: the positive or query came back as a negative`);
      const { score } = list.find((c) => c.text === n)!;
      // inside the window: scored no higher than rank min and no lower than rank max - 1 (1e-5: two embedding runs)
      assert.ok(score <= list[min]!.score + 1e-5 && score >= list[max - 1]!.score - 1e-5, `row ${i + 1}: ${n} (${score}) outside ranks [${min}, ${max})`);
      assert.ok(score <= positiveScore - margin + 1e-5, `row ${i + 1}: ${n} scores ${score}, within ${margin} of the positive's ${positiveScore}`);
    }
    // the same rule applied to recall's ranking gives the same negatives
    const expected = list.slice(min, max).filter((c) => c.text !== positive && c.text !== query && c.score <= positiveScore - margin).slice(0, 3).map((c) => c.text);
    if (JSON.stringify(expected) === JSON.stringify(negatives)) agree++;
  });
  assert.ok(mined > rows.length, `mined ${mined} negatives for ${rows.length} rows`);
  assert.ok(agree >= rows.length * 0.9, `${agree} of ${rows.length} rows as expected`);
  const report = JSON.parse(readFileSync(w.file('mined.tsv.report.json'), 'utf8'));
  assert.equal(report.rows, train.length);
  assert.equal(report.negatives, mined);
  // a model trains on the mined file: every negative is an extra title column
  const t = inbatch('train', '--model', w.file('model'), '--train-set', w.file('mined.tsv'), '--save-dir', w.file('mined-run'), '--batch-size', '8', '--max-steps', '3');
  assert.equal(t.code, 0, t.err);
  const both = inbatch('mine', '--model', w.file('model'), '--train-set', w.file('train.tsv'), '--output', w.file('x.tsv'));
  assert.equal(both.code, 2);
  assert.match(both.err, /exactly one of --corpus-file/);
});

test('mine --index reuses a recall index of the same model and refuses one built by another', { skip }, () => {
  const r = inbatch('mine', '--model', w.file('model'), '--train-set', w.file('train.tsv'), '--index', w.file('train-rank/index'), '--output', w.file('mined-index.tsv'),
    '--range-min', '1', '--range-max', '20');
  assert.equal(r.code, 0, r.err);
  // the same architecture and settings, one training step further: another model
  const other = inbatch('train', '--model', w.file('model'), '--train-set', w.file('train.tsv'), '--save-dir', w.file('other-run'), '--batch-size', '8', '--max-steps', '1', '--save-steps', '0');
  assert.equal(other.code, 0, other.err);
  cpSync(w.file('other-run/model_final'), w.file('other'), { recursive: true });
  const refused = inbatch('mine', '--model', w.file('other'), '--train-set', w.file('train.tsv'), '--index', w.file('train-rank/index'), '--output', w.file('x.tsv'));
  assert.equal(refused.code, 1);
  assert.match(refused.err, /was built by another model/);
});

test('PaddleNLP\'s recall.py and evaluate.py command lines run as written (aliases, ignored flags, argparse prefixes)', { skip }, () => {
  // flags as in PaddleNLP's semantic_indexing recall.sh / evaluate.sh
  const r = inbatch('recall', '--device', 'gpu', '--recall_result_dir', w.file('paddle-recall'), '--recall_result_file', 'recall_result.txt',
    '--model_name_or_path', w.file('model'), '--hnsw_m', '100', '--hnsw_ef', '100', '--batch_size', '64', '--max_seq_length', '16', '--recall_num', '10',
    '--similar_text_pair', w.file('dev.tsv'), '--corpus_file', w.file('corpus.txt'), '--hnsw_max_elements', '1000000');
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /note: --hnsw_max_elements is accepted and ignored/);
  assert.match(r.err, /note: --device is accepted and ignored here/);
  const e = inbatch('evaluate', '--similar_text_pair', w.file('dev.tsv'), '--recall_result_file', w.file('paddle-recall/recall_result.txt'), '--recall_num', '10', '--format', 'paddle');
  assert.equal(e.code, 0, e.err);
  assert.match(e.out, /^recall@1=\d+\.\d{3}\nrecall@5=\d+\.\d{3}\nrecall@10=\d+\.\d{3}\n$/);
  // train_batch_neg.sh's flags reach the same options (checked without training: --device gpu needs CUDA here)
  const t = inbatch('train', '--device', 'gpu', '--train_set_file', w.file('train.tsv'), '--model_name_or_path', w.file('model'), '--save_dir', w.file('paddle-train'),
    '--log_steps', '10', '--use_amp', '--batch_size', '8', '--max-steps', '2');
  assert.match(t.err, /note: --use_amp is accepted and ignored/);
  assert.match(t.err, /--device cuda: this libtorch build has no CUDA|saved|steps/);
  // an ambiguous prefix is still an error, as in argparse
  const amb = inbatch('recall', '--model', w.file('model'), '--recall', '5', '--corpus-file', w.file('corpus.txt'), '--similar-text-pair-file', w.file('dev.tsv'));
  assert.equal(amb.code, 2);
});

test('serve --index: a byte-identical copy of the model (new path, new mtimes) is the same model; a retrained one is refused (or warned with --allow-index-mismatch)', { skip }, async () => {
  const { inbatchChild } = await import('./cli-fixture.js');
  // a deploy's copy: fs.cpSync gives every file a new mtime, and the folder another path
  cpSync(w.file('model'), w.file('model-copy'), { recursive: true });
  assert.notEqual(statSync(w.file('model-copy/model.safetensors')).mtimeMs, statSync(w.file('model/model.safetensors')).mtimeMs);
  if (!existsSync(w.file('other'))) {
    const t = inbatch('train', '--model', w.file('model'), '--train-set', w.file('train.tsv'), '--save-dir', w.file('other-run'), '--batch-size', '8', '--max-steps', '1', '--save-steps', '0');
    assert.equal(t.code, 0, t.err);
    cpSync(w.file('other-run/model_final'), w.file('other'), { recursive: true });
  }
  for (const [model, out] of [['model', 'onnx-same'], ['model-copy', 'onnx-copy'], ['other', 'onnx-other']] as const) {
    const e = inbatch('export', '--model', w.file(model), '--output', w.file(out));
    assert.equal(e.code, 0, e.err);
  }
  cpSync(w.file('onnx-same'), w.file('onnx-same-copied'), { recursive: true });
  const start = (onnx: string, ...extra: string[]) => new Promise<{ listening: boolean; code: number | null; err: string }>((resolve) => {
    const child = inbatchChild('serve', '--model', w.file(onnx), '--index', w.file('train-rank/index'), '--port', '0', ...extra);
    let err = '';
    child.stderr.on('data', (d) => {
      err += String(d);
      if (/listening on/.test(err)) { child.kill('SIGTERM'); resolve({ listening: true, code: null, err }); }
    });
    child.on('exit', (code) => resolve({ listening: false, code, err }));
  });
  for (const onnx of ['onnx-same', 'onnx-copy', 'onnx-same-copied']) {
    const served = await start(onnx);
    assert.ok(served.listening, `${onnx}: ${served.err}`);
    assert.doesNotMatch(served.err, /warning: .*was built by/);
  }
  const other = await start('onnx-other');
  assert.equal(other.listening, false);
  assert.equal(other.code, 1);
  assert.match(other.err, /was built by the model with weights sha256 [0-9a-f]{12}, but .*onnx-other was exported from weights sha256 [0-9a-f]{12} \(weights_sha256 differ\).*rebuild the index with inbatch index or recall, or pass --allow-index-mismatch/);
  const allowed = await start('onnx-other', '--allow-index-mismatch');
  assert.ok(allowed.listening, allowed.err);
  assert.match(allowed.err, /warning: .*was built by/);
  // an index built through the export is the model's too: mine accepts it for the model folder
  const viaExport = inbatch('index', '--model', w.file('onnx-copy'), '--corpus-file', w.file('corpus.txt'), '--output', w.file('index-via-export'), '--quiet');
  assert.equal(viaExport.code, 0, viaExport.err);
  assert.deepEqual(JSON.parse(readFileSync(w.file('index-via-export/corpus.json'), 'utf8')).embedder, JSON.parse(readFileSync(w.file('train-rank/index/corpus.json'), 'utf8')).embedder);
});

/** The CLI as a child that does not block this process (a server here must answer it). */
function inbatchAsync(...args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const child = inbatchChild(...args);
  let out = '', err = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { err += d; });
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, out, err })));
}

test('any model as the baseline: mteb of an ONNX folder and of the same model behind an endpoint agree to 1e-6', { skip, timeout: 120_000 }, async () => {
  const exported = inbatch('export', '--model', w.file('model'), '--output', w.file('onnx'));
  assert.equal(exported.code, 0, exported.err);
  const embedder = await Embedder.load(w.file('onnx'));
  const app = buildServer({ embedder, maxTexts: 256, bodyLimit: 1 << 22, maxK: 10 });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/v1`;
  try {
    const common = ['mteb', '--queries', w.file('queries.tsv'), '--corpus', w.file('corpus.tsv'), '--qrels', w.file('qrels.tsv'), '--task-name', 'Synthetic'];
    const local = await inbatchAsync(...common, '--model', w.file('onnx'), '--output-folder', w.file('mteb-onnx'), '--model-name', 'local', '--per-query', w.file('local.pq.json'));
    assert.equal(local.code, 0, local.err);
    assert.match(local.err, /ONNX folder, 32 dimensions/);
    const remote = await inbatchAsync(...common, '--model', url, '--output-folder', w.file('mteb-url'), '--model-name', 'remote', '--per-query', w.file('remote.pq.json'));
    assert.equal(remote.code, 0, remote.err);
    const a = JSON.parse(readFileSync(w.file('mteb-onnx/local/no_revision_available/Synthetic.json'), 'utf8')).scores.dev[0];
    const b = JSON.parse(readFileSync(w.file('mteb-url/remote/no_revision_available/Synthetic.json'), 'utf8')).scores.dev[0];
    for (const key of Object.keys(a)) if (typeof a[key] === 'number') assert.ok(Math.abs(a[key] - b[key]) <= 1e-6, `${key}: ${a[key]} vs ${b[key]}`);
    // the same system twice: every difference 0, none significant
    const same = inbatch('compare', w.file('local.pq.json'), w.file('remote.pq.json'));
    assert.equal(same.code, 0, same.err);
    assert.match(same.out, /ndcg_at_10 .*\| no \(interval includes 0\)/);
    const bad = await inbatchAsync(...common, '--model', 'http://127.0.0.1:1/v1', '--output-folder', w.file('mteb-none'));
    assert.equal(bad.code, 1);
    assert.match(bad.err, /http:\/\/127\.0\.0\.1:1\/v1\/embeddings: request failed/);
  } finally {
    await app.close();
    await embedder.release();
  }
});

test('on the shared LCQMC set, a real difference (BM25 against an untrained model) is significant; the interval is printed per metric', { skip: skip || needsShared('lcqmc-retrieval'), timeout: 180_000 }, () => {
  const dir = join(sharedData, 'lcqmc-retrieval');
  // the first 600 queries and every text they are judged against, plus 3,000 more texts
  const queries = readFileSync(join(dir, 'queries.tsv'), 'utf8').trim().split('\n').slice(0, 600);
  const qrels = readFileSync(join(dir, 'qrels.tsv'), 'utf8').trim().split('\n').filter((l) => queries.some((q) => q.split('\t')[0] === l.split('\t')[0]));
  const judged = new Set(qrels.map((l) => l.split('\t')[1]));
  const corpus = readFileSync(join(dir, 'corpus.tsv'), 'utf8').trim().split('\n').filter((l, i) => judged.has(l.split('\t')[0]) || i < 3000);
  for (const [name, lines] of [['lq.tsv', queries], ['lc.tsv', corpus], ['lr.tsv', qrels]] as const) writeFileSync(w.file(name), lines.join('\n') + '\n');
  const init = inbatch('init', '--config', 'tiny', '--vocab', join(sharedData, 'vocab.txt'), '--max-seq-length', '32', '--save-dir', w.file('zh-random'));
  assert.equal(init.code, 0, init.err);
  const common = ['mteb', '--queries', w.file('lq.tsv'), '--corpus', w.file('lc.tsv'), '--qrels', w.file('lr.tsv'), '--output-folder', w.file('mteb-lcqmc')];
  const bm25 = inbatch(...common, '--retriever', 'bm25', '--per-query', w.file('lcqmc-bm25.json'));
  assert.equal(bm25.code, 0, bm25.err);
  const random = inbatch(...common, '--model', w.file('zh-random'), '--per-query', w.file('lcqmc-random.json'));
  assert.equal(random.code, 0, random.err);
  const c = inbatch('compare', w.file('lcqmc-random.json'), w.file('lcqmc-bm25.json'), '--json', w.file('lcqmc-compare.json'));
  assert.equal(c.code, 0, c.err);
  const result = JSON.parse(readFileSync(w.file('lcqmc-compare.json'), 'utf8'));
  const ndcg = result.metrics.find((m: { metric: string }) => m.metric === 'ndcg_at_10');
  assert.equal(result.queries, 600);
  assert.ok(ndcg.significant && ndcg.low > 0, `ndcg@10: ${ndcg.difference} [${ndcg.low}, ${ndcg.high}]`);
  assert.match(c.out, /ndcg_at_10 .*\| yes/);
});

test('train saves a sample of its training pairs in the model; export carries it; hybrid calibrates on it by default; serve reuses the fit', { skip, timeout: 120_000 }, async () => {
  const trained = inbatch('train', '--model', w.file('model'), '--train-set', w.file('train.tsv'), '--save-dir', w.file('trained'), '--batch-size', '8', '--max-steps', '2', '--save-steps', '0');
  assert.equal(trained.code, 0, trained.err);
  const sample = readFileSync(w.file('trained/model_final/calibration_pairs.tsv'), 'utf8').trim().split('\n');
  const rows = new Set(readFileSync(w.file('train.tsv'), 'utf8').trim().split('\n'));
  assert.equal(sample.length, rows.size <= 1000 ? rows.size : 1000);
  for (const line of sample) assert.ok(rows.has(line), `${line} is not a training pair`);
  const exported = inbatch('export', '--model', w.file('trained/model_final'), '--output', w.file('trained-onnx'));
  assert.equal(exported.code, 0, exported.err);
  assert.deepEqual(readFileSync(w.file('trained-onnx/calibration_pairs.tsv')), readFileSync(w.file('trained/model_final/calibration_pairs.tsv')));
  const r = inbatch('recall', '--model', w.file('trained/model_final'), '--retriever', 'hybrid', '--corpus-file', w.file('corpus.txt'), '--similar-text-pair-file', w.file('dev.tsv'),
    '--recall-result-dir', w.file('auto-model'), '--exact');
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /calibration queries from the model's training pairs \(.*calibration_pairs\.tsv\)/);
  // serve, with the export beside the index recall built: the same pairs (by content) reuse the fit
  const child = inbatchChild('serve', '--model', w.file('trained-onnx'), '--index', w.file('auto-model/index'), '--port', '0');
  let err = '';
  const listening = await new Promise<boolean>((resolve) => {
    child.stderr.on('data', (d) => { err += String(d); if (/listening on/.test(err)) resolve(true); });
    child.on('exit', () => resolve(false));
  });
  child.kill('SIGTERM');
  assert.ok(listening, err);
  assert.match(err, /reused hybrid fusion/);
});

test('serve with an index too small to calibrate on still starts: hybrid falls back to RRF 1,1, with a warning', { skip, timeout: 60_000 }, async () => {
  writeFileSync(w.file('tiny-corpus.txt'), w.heldOut.slice(0, 5).map((p) => p.positive).join('\n') + '\n');
  writeFileSync(w.file('tiny-dev.tsv'), w.heldOut.slice(0, 2).map((p) => `${p.query}\t${p.positive}`).join('\n') + '\n');
  const r = inbatch('recall', '--model', w.file('model'), '--corpus-file', w.file('tiny-corpus.txt'), '--similar-text-pair-file', w.file('tiny-dev.tsv'), '--recall-result-dir', w.file('tiny'), '--exact');
  assert.equal(r.code, 0, r.err);
  assert.equal(inbatch('export', '--model', w.file('model'), '--output', w.file('onnx-tiny')).code, 0);
  const child = inbatchChild('serve', '--model', w.file('onnx-tiny'), '--index', w.file('tiny/index'), '--port', '0');
  let err = '';
  const listening = await new Promise<boolean>((resolve) => {
    child.stderr.on('data', (d) => { err += String(d); if (/listening on/.test(err)) resolve(true); });
    child.on('exit', () => resolve(false));
  });
  child.kill('SIGTERM');
  assert.ok(listening, err);
  assert.match(err, /warning: calibration .*fewer than the 50.*hybrid requests are fused by RRF 1,1/);
});
