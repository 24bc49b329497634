// Each command as a user runs it, one test per command, on one shared small world:
// init -> train -> recall -> evaluate -> mteb -> evaluate-run -> compare.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { needsTorch, tempDir } from '../helpers.js';
import { inbatch, writeCliWorld, type CliWorld } from './cli-fixture.js';
import { modelMetaProblems, mtebLoadProblems, taskResultProblems } from './mteb-format.js';
import { MTEB_FORMAT_VERSION } from '../../src/eval/mteb-result.js';
import { hashFiles } from '../../src/util/file-hash.js';

const skip = needsTorch;
const work = tempDir();
let w: CliWorld;
let trainSummary: { steps: number; evaluations: { step: number; scores: Record<string, number> }[] };

before(() => {
  if (skip) return;
  w = writeCliWorld(work.dir);
  // every command below needs a model and a trained model: made once here, checked in their own tests
  const init = inbatch('init', '--config', 'tiny', '--vocab', w.vocab, '--output-emb-size', '32', '--max-seq-length', '16', '--save-dir', w.file('init'));
  assert.equal(init.code, 0, init.err);
  const train = inbatch('train', '--model', w.file('init'), '--train_set', w.file('train.tsv'), '--save_dir', w.file('run'),
    '--batch_size', '16', '--learning-rate', '1e-3', '--max-steps', '30', '--save-steps', '10', '--evaluate', '--eval-steps', '15',
    '--similar-text-pair-file', w.file('dev.tsv'), '--corpus-file', w.file('corpus.txt'), '--recall-num', '10', '--eval-exact');
  assert.equal(train.code, 0, train.err);
  trainSummary = JSON.parse(train.out);
  const recall = inbatch('recall', '--model', w.file('run/model_final'), '--corpus-file', w.file('corpus.txt'), '--similar-text-pair-file', w.file('dev.tsv'),
    '--recall-result-dir', w.file('recall'), '--recall-num', '10', '--exact');
  assert.equal(recall.code, 0, recall.err);
});

after(() => work.cleanup());

test('init: random initialisation defaults to mean pooling and no dropout, and says so', { skip }, () => {
  const r = inbatch('init', '--config', 'tiny', '--vocab', w.vocab, '--save-dir', w.file('defaults'));
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /pooling mean, dropout 0, max_seq_length 128/);
  const config = JSON.parse(readFileSync(w.file('defaults/config.json'), 'utf8'));
  assert.equal(config.inbatch.pooling, 'mean');
  assert.equal(config.hidden_dropout_prob, 0);
  // a config file's own "inbatch" object is honoured; flags given on the command line win over it
  writeFileSync(w.file('custom.json'), JSON.stringify({ hidden_size: 32, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 64, inbatch: { pooling: 'cls', output_emb_size: 8 } }));
  const c = inbatch('init', '--config', w.file('custom.json'), '--vocab', w.vocab, '--max-seq-length', '20', '--save-dir', w.file('custom'));
  assert.equal(c.code, 0, c.err);
  assert.match(c.out, /embeddings of 8; pooling cls, dropout 0, max_seq_length 20/);
});

test('train: snake_case flags, checkpoints, evaluations, model_best and charts', { skip }, () => {
  assert.equal(trainSummary.steps, 30);
  assert.deepEqual(trainSummary.evaluations.map((e) => e.step), [15, 30]);
  for (const f of ['model_best', 'model_final', 'checkpoint-30', 'train_log.jsonl', 'loss.svg', 'recall.svg']) assert.ok(existsSync(w.file(join('run', f))), f);
  const r = inbatch('train', '--model', w.file('init'), '--train-set', w.file('missing.tsv'), '--save-dir', w.file('bad'));
  assert.equal(r.code, 2);
  assert.match(r.err, /--train-set .*missing\.tsv does not exist/);
  writeFileSync(w.file('bad.tsv'), 'q\tp\nno tab here\n');
  const bad = inbatch('train', '--model', w.file('init'), '--train-set', w.file('bad.tsv'), '--save-dir', w.file('bad'));
  assert.equal(bad.code, 1);
  assert.match(bad.err, /bad\.tsv:2: expected query<TAB>positive, found one column/);
});

/** The YAML front matter of a model card: scalars and lists of scalars (what the card writes). */
function frontMatter(card: string): Record<string, string | string[]> {
  const m = /^---\n([\s\S]*?)\n---\n/.exec(card);
  assert.ok(m, 'the card opens with YAML front matter');
  const out: Record<string, string | string[]> = {};
  let list: string[] | undefined;
  for (const line of m[1]!.split('\n')) {
    const item = /^- (.*)$/.exec(line);
    if (item && list) { list.push(JSON.parse(item[1]!)); continue; }
    const kv = /^([a-z_]+):\s*(.*?)(\s+#.*)?$/.exec(line);
    assert.ok(kv, `a YAML line: ${line}`);
    if (kv[2] === '') out[kv[1]!] = list = [];
    else { out[kv[1]!] = kv[2]!.startsWith('"') ? JSON.parse(kv[2]!) : kv[2]!; list = undefined; }
  }
  return out;
}

test('model card: every saved and exported model has a README.md (Hugging Face layout) with the command, hyper-parameters, data counts, Recall@N and the loss curve', { skip }, () => {
  const card = readFileSync(w.file('run/model_final/README.md'), 'utf8');
  const yaml = frontMatter(card);
  assert.equal(yaml.library_name, 'sentence-transformers');
  assert.equal(yaml.pipeline_tag, 'sentence-similarity');
  assert.deepEqual(yaml.language, ['zh']);
  assert.equal(yaml.license, 'other');
  assert.equal(yaml.base_model, 'init');
  assert.deepEqual(yaml.datasets, ['train']);
  assert.deepEqual(yaml.metrics, ['recall']);
  assert.ok((yaml.tags as string[]).includes('in-batch-negatives'));
  assert.match(card, /^inbatch train --model \S+init --train_set \S+train\.tsv --save_dir \S+run --batch_size 16 --learning-rate 1e-3 --max-steps 30 /m);
  assert.match(card, /\| batch_size \| 16 \|/);
  assert.match(card, /\| learning_rate \| 0\.001 \|/);
  assert.match(card, /\| margin \| 0\.2 \|\n\| scale \| 30 \|/);
  const pairs = readFileSync(w.file('train.tsv'), 'utf8').trim().split('\n').length;
  assert.match(card, new RegExp(`${pairs.toLocaleString('en-US')} training pairs, 30 of 30 steps`));
  // the evaluations training recorded, each a row of the table
  for (const e of trainSummary.evaluations) {
    const row = new RegExp(`^\\| ${e.step}( \\(best\\))? \\| ${['1', '5', '10'].map((n) => e.scores[`success_at_${n}`]!.toFixed(2)).join(' \\| ')} \\|`, 'm');
    assert.match(card, row, `step ${e.step}`);
  }
  assert.match(card, /!\[training loss\]\(loss_curve\.svg\)/);
  assert.match(readFileSync(w.file('run/model_final/loss_curve.svg'), 'utf8'), /^<svg/);
  assert.ok(existsSync(w.file('run/model_best/README.md')) && existsSync(w.file('run/model_best/training_record.json')));
  // the export says the same, for its own consumers
  const e = inbatch('export', '--model', w.file('run/model_final'), '--output', w.file('card-onnx'));
  assert.equal(e.code, 0, e.err);
  const exported = readFileSync(w.file('card-onnx/README.md'), 'utf8');
  assert.equal(frontMatter(exported).pipeline_tag, 'feature-extraction');
  assert.equal(frontMatter(exported).library_name, 'transformers.js');
  assert.match(exported, /pipeline\('feature-extraction', "card-onnx"\)/);
  for (const e of trainSummary.evaluations) assert.match(exported, new RegExp(`^\\| ${e.step}`, 'm'));
  assert.ok(existsSync(w.file('card-onnx/loss_curve.svg')));
  // a model nobody trained says what it is, and no training
  const initCard = readFileSync(w.file('init/README.md'), 'utf8');
  assert.equal(frontMatter(initCard).pipeline_tag, 'sentence-similarity');
  assert.doesNotMatch(initCard, /## Training|## Evaluation/);
});

test('recall: query<TAB>text<TAB>cosine lines, an index folder, and reused embeddings give the same result', { skip }, () => {
  const lines = readFileSync(w.file('recall/recall_result.txt'), 'utf8').trim().split('\n');
  assert.equal(lines.length, w.heldOut.length * 10);
  assert.equal(lines[0]!.split('\t')[0], w.heldOut[0]!.query);
  assert.ok(lines.every((l) => l.split('\t').length === 3));
  for (const f of ['index.json', 'texts.txt', 'corpus.json']) assert.ok(existsSync(w.file(join('recall', 'index', f))), f);
  const r = inbatch('recall', '--model', w.file('run/model_final'), '--corpus-file', w.file('corpus.txt'), '--similar-text-pair-file', w.file('dev.tsv'),
    '--recall-result-dir', w.file('recall'), '--recall-result-file', 'again.txt', '--recall-num', '10', '--exact', '--reuse-embeddings');
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /reused \d+ corpus embeddings/);
  assert.equal(readFileSync(w.file('recall/again.txt'), 'utf8'), lines.join('\n') + '\n');
});

test('evaluate: PaddleNLP table, and JSON in success@N percent equal to the training-time evaluation', { skip }, () => {
  const table = inbatch('evaluate', '--similar-text-pair-file', w.file('dev.tsv'), '--recall-result-file', w.file('recall/recall_result.txt'), '--recall-num', '10');
  assert.equal(table.code, 0, table.err);
  assert.match(table.out, /^recall@1\trecall@5\trecall@10\n\d+\.\d{3}\t/);
  const r = inbatch('evaluate', '--similar-text-pair-file', w.file('dev.tsv'), '--recall-result-file', w.file('recall/recall_result.txt'), '--recall-num', '10', '--json', '--model-name', 'trained');
  assert.equal(r.code, 0, r.err);
  const paddle = JSON.parse(r.out);
  assert.equal(paddle.queries, w.heldOut.length);
  // the model's own evaluation at step 30 used the same data and exact search
  assert.ok(Math.abs(paddle.paddle_recall_pct.success_at_5 - trainSummary.evaluations[1]!.scores.success_at_5!) < 1e-9);
});

test('mteb: mteb\'s TaskResult JSON in its results/<model>/<revision>/ layout, the PaddleNLP hit rate in a sidecar', { skip }, () => {
  const r = inbatch('mteb', '--model', w.file('run/model_final'), '--queries', w.file('queries.tsv'), '--corpus', w.file('corpus.tsv'),
    '--qrels', w.file('qrels.tsv'), '--output-folder', w.file('mteb'), '--task-name', 'Synthetic', '--languages', 'cmn-Hans');
  assert.equal(r.code, 0, r.err);
  const folder = w.file('mteb/model_final/no_revision_available');
  const mteb = JSON.parse(readFileSync(join(folder, 'Synthetic.json'), 'utf8'));
  // the fields mteb's TaskResult loader requires, and no others at the top
  assert.deepEqual(Object.keys(mteb).sort(), ['dataset_revision', 'evaluation_time', 'kg_co2_emissions', 'mteb_version', 'scores', 'task_name']);
  assert.equal(mteb.task_name, 'Synthetic');
  assert.equal(mteb.mteb_version, MTEB_FORMAT_VERSION);
  // the data's content names its revision: the three files' sha256
  assert.equal(mteb.dataset_revision, `sha256:${hashFiles([w.file('queries.tsv'), w.file('corpus.tsv'), w.file('qrels.tsv')])}`);
  assert.equal(typeof mteb.evaluation_time, 'number');
  const [subset] = mteb.scores.dev;
  assert.equal(mteb.scores.dev.length, 1);
  assert.equal(subset.hf_subset, 'default');
  assert.deepEqual(subset.languages, ['cmn-Hans']);
  assert.equal(subset.main_score, subset.ndcg_at_10);
  for (const k of [1, 3, 5, 10, 100, 1000]) for (const m of ['ndcg', 'map', 'mrr', 'precision', 'recall']) assert.equal(typeof subset[`${m}_at_${k}`], 'number');
  assert.equal(subset.recall_at_1000, 1);
  assert.equal(subset.paddle_recall_pct, undefined, 'inbatch\'s extras stay out of the TaskResult');
  const meta = JSON.parse(readFileSync(join(folder, 'model_meta.json'), 'utf8'));
  assert.deepEqual([meta.name, meta.revision, meta.framework, meta.max_tokens, meta.embed_dim], ['model_final', 'no_revision_available', ['PyTorch', 'Sentence Transformers'], JSON.parse(readFileSync(w.file('run/model_final/config.json'), 'utf8')).inbatch.max_seq_length, 32]);
  assert.ok(Number.isInteger(meta.n_parameters) && meta.n_parameters > 10_000);
  // mteb's loader, as its source has it, takes every file of the tree: the sidecar is outside it
  assert.deepEqual(readdirSync(folder).sort(), ['Synthetic.json', 'model_meta.json']);
  assert.deepEqual(mtebLoadProblems(w.file('mteb')), []);
  const sidecar = JSON.parse(readFileSync(w.file('mteb.inbatch/model_final/no_revision_available/Synthetic.json'), 'utf8'));
  const s5 = sidecar.paddle_recall_pct.success_at_5;
  assert.ok(Math.abs(s5 - trainSummary.evaluations[1]!.scores.success_at_5!) < 1e-9, 'same model, same data: same Recall@5 both ways');
  const given = inbatch('mteb', '--retriever', 'bm25', '--queries', w.file('queries.tsv'), '--corpus', w.file('corpus.tsv'), '--qrels', w.file('qrels.tsv'),
    '--output-folder', w.file('mteb'), '--task-name', 'Synthetic', '--dataset-revision', 'abc123');
  assert.equal(given.code, 0, given.err);
  assert.equal(JSON.parse(readFileSync(w.file('mteb/bm25/no_revision_available/Synthetic.json'), 'utf8')).dataset_revision, 'abc123');
  assert.deepEqual(mtebLoadProblems(w.file('mteb')), []);
});

test('the mteb format check refuses what mteb refuses: a null revision or version, a sidecar in the tree, ModelMeta without its fields', () => {
  const good = { dataset_revision: 'r', task_name: 't', mteb_version: MTEB_FORMAT_VERSION, scores: { dev: [{ main_score: 1, hf_subset: 'default', languages: [] }] }, evaluation_time: 1, kg_co2_emissions: null };
  assert.deepEqual(taskResultProblems(good), []);
  assert.match(taskResultProblems({ ...good, dataset_revision: null }).join(), /dataset_revision must be a string/);
  assert.match(taskResultProblems({ ...good, mteb_version: null }).join(), /PEP 440/);
  assert.match(taskResultProblems({ ...good, mteb_version: 'inbatch' }).join(), /PEP 440/);
  assert.match(taskResultProblems({ written_by: 'inbatch', paddle_recall_pct: {} }).join(), /scores must be a dict/);
  assert.match(modelMetaProblems({ name: 'm', revision: 'r', release_date: null, languages: ['cmn-Hans'], framework: ['inbatch'], similarity_fn_name: 'cosine' }).join(), /missing loader.*missing training_datasets.*framework must be/);
});

test('evaluate-run: any TREC run scored with trec_eval definitions', { skip }, () => {
  writeFileSync(w.file('run.trec'), w.heldOut.map((_, i) => `q${i} Q0 d${i} 1 1.0 oracle\n`).join(''));
  const r = inbatch('evaluate-run', '--run', w.file('run.trec'), '--qrels', w.file('qrels.tsv'));
  assert.equal(r.code, 0, r.err);
  const result = JSON.parse(r.out);
  assert.equal(result.scores.dev[0].ndcg_at_10, 1);
  assert.deepEqual(taskResultProblems(result), [], 'the same TaskResult as mteb writes');
  const written = inbatch('evaluate-run', '--run', w.file('run.trec'), '--qrels', w.file('qrels.tsv'), '--output-folder', w.file('mteb-run'), '--model-name', 'oracle');
  assert.equal(written.code, 0, written.err);
  assert.deepEqual(mtebLoadProblems(w.file('mteb-run')), []);
  assert.equal(JSON.parse(readFileSync(w.file('mteb-run/oracle/no_revision_available/run.json'), 'utf8')).dataset_revision, `sha256:${hashFiles([w.file('qrels.tsv')])}`);
});

test('compare: MTEB and evaluate --json files side by side, one unit per chart', { skip }, () => {
  const mtebOf = (model: string, out: string, name: string) => inbatch('mteb', '--model', model, '--queries', w.file('queries.tsv'), '--corpus', w.file('corpus.tsv'),
    '--qrels', w.file('qrels.tsv'), '--output-folder', out, '--task-name', 'Synthetic', '--model-name', name);
  assert.equal(mtebOf(w.file('init'), w.file('mteb-init'), 'untrained').code, 0);
  assert.equal(mtebOf(w.file('run/model_final'), w.file('mteb-trained'), 'org/trained').code, 0);
  const paddle = inbatch('evaluate', '--similar-text-pair-file', w.file('dev.tsv'), '--recall-result-file', w.file('recall/recall_result.txt'), '--recall-num', '10', '--json', '--model-name', 'paddle');
  writeFileSync(w.file('paddle.json'), paddle.out);
  // the current TaskResult layout (model name from the folder, org/trained -> org__trained) and an old flat file
  writeFileSync(w.file('old-flat.json'), JSON.stringify({ mteb_dataset_name: 'Synthetic', model_name: 'old', dev: { ndcg_at_10: 0.5, recall_at_1: 0.4, recall_at_10: 0.6, paddle_recall_pct: { success_at_1: 40 } } }));
  const r = inbatch('compare', w.file('mteb-init/untrained/no_revision_available/Synthetic.json'), w.file('mteb-trained/org__trained/no_revision_available/Synthetic.json'),
    w.file('paddle.json'), w.file('old-flat.json'), '--chart', w.file('cmp.svg'));
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /\| model +\| ndcg@10 +\| Recall@1 +\| Recall@10 +\| Recall@100 +\| Recall@1000 \|/);
  assert.match(r.out, /\| untrained /);
  assert.match(r.out, /\| org\/trained /);
  assert.match(r.out, /\| old +\| 0\.5000 /);
  assert.match(r.out, /recall@50/);
  const svg = readFileSync(w.file('cmp.svg'), 'utf8');
  assert.ok(svg.includes('<polyline'));
  assert.match(svg, /% of queries with a hit/, 'mixed files are drawn in the unit they all have');
  // a PaddleNLP file alone: its percentages are drawn as they are, never x100 (7,800 % before)
  const alone = inbatch('compare', w.file('paddle.json'), '--chart', w.file('paddle.svg'));
  assert.equal(alone.code, 0, alone.err);
  const labels = [...readFileSync(w.file('paddle.svg'), 'utf8').matchAll(/>(\d+(?:\.\d+)?)<\/text>/g)].map((m) => Number(m[1]));
  assert.ok(Math.max(...labels) <= 1000, `axis labels ${labels}`);
});
