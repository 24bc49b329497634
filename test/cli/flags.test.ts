// Usage errors: every bad flag exits 2 with one message naming it, before any work starts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { kebabFlags } from '../../src/cli/main.js';
import { repoRoot } from '../helpers.js';
import { inbatch } from './cli-fixture.js';

const base = ['--model', 'm', '--train-set', 't.tsv', '--save-dir', 's'];

test('bad flag values exit 2 with a message naming the flag', () => {
  const cases: [string[], RegExp][] = [
    [['train', ...base, '--batch-size', 'many'], /'--batch-size <n>' argument 'many' is invalid\. must be an integer/],
    [['train', ...base, '--batch-size', '0x10'], /argument '0x10' is invalid\. must be an integer/],
    [['train', ...base, '--batch-size', '1'], /--batch-size <n>' argument '1' is invalid\. must be between 2 and/],
    [['train', ...base, '--batch-size', '-4'], /must be between 2 and/],
    [['train', ...base, '--learning-rate', '0'], /--learning-rate <lr>' argument '0' is invalid\. must be > 0/],
    [['train', ...base, '--warmup-proportion', '1.5'], /must be in \[0, 1\]/],
    [['train', ...base, '--max-steps', '0'], /--max-steps <n>' argument '0' is invalid\. must be >= 1/],
    [['train', ...base, '--epochs', '-1'], /--epochs <n>' argument '-1' is invalid/],
    [['train', ...base, '--keep-checkpoints', '0'], /--keep-checkpoints <n>' argument '0' is invalid\. must be >= 1/],
    [['train', '--model', 'm', '--train-set', 't.tsv', '--save-dir', '--batch-size', '8'], /--save-dir <dir>' argument '--batch-size' is invalid\. needs a value/],
    [['train', ...base, '--resume=yes'], /unknown option '--resume=yes'/],
    [['train', ...base, 'stray'], /too many arguments for 'train'/],
    [['train', ...base, '--bach-size', '8'], /unknown option '--bach-size'\n\(Did you mean --batch-size\?\)/],
    [['trian'], /unknown command 'trian'\n\(Did you mean train\?\)/],
    [['train', '--model', 'm'], /required option '--train-set <files...>' not specified/],
    [['recall', '--model', 'm', '--corpus-file', 'c', '--similar-text-pair-file', 'd', '--hnsw-m', '0'], /--hnsw-m <n>' argument '0' is invalid\. must be between 2 and 2048/],
    [['recall', '--model', 'm', '--corpus-file', 'c', '--similar-text-pair-file', 'd', '--batch-size', '0'], /--batch-size <n>' argument '0' is invalid/],
    [['recall', '--model', 'm', '--corpus-file', 'c', '--similar-text-pair-file', 'd', '--recall-num', '0'], /--recall-num <n>' argument '0' is invalid/],
    [['mteb', '--model', 'm', '--queries', 'q', '--corpus', 'c', '--qrels', 'r', '--output-folder', 'o', '--index', 'annoy'], /must be one of exact, hnsw/],
    [['serve', '--model', 'm', '--threads', '1000'], /--threads <n>' argument '1000' is invalid\. must be between 1 and 256/],
    [['serve', '--model', 'm', '--max-texts', '0'], /--max-texts <n>' argument '0' is invalid/],
    [['init', '--vocab', 'v', '--save-dir', 's', '--dropout', '1'], /--dropout <p>' argument '1' is invalid\. must be in \[0, 1\)/],
    [['init', '--vocab', 'v', '--save-dir', 's', '--output-emb-size', '-1'], /--output-emb-size <n>' argument '-1' is invalid/],
  ];
  for (const [args, message] of cases) {
    const r = inbatch(...args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
    assert.match(r.err, message, args.join(' '));
    assert.doesNotMatch(r.err, /\n\s+at /, 'no stack trace');
  }
});

test('--version, help <command>, and snake_case spellings', () => {
  const { version } = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
  const v = inbatch('--version');
  assert.equal(v.code, 0);
  assert.equal(v.out.trim(), version);
  const help = inbatch('help', 'train');
  assert.equal(help.code, 0);
  assert.match(help.out, /--learning-rate <lr> +peak learning rate \(default: 0\.00005\)/);
  assert.match(help.out, /--no-group-by-length/);
  assert.equal(inbatch('train', '--help').out, help.out);
  assert.deepEqual(kebabFlags(['train', '--save_dir', 'a_b', '--batch_size=8', '--', '--x_y']), ['train', '--save-dir', 'a_b', '--batch-size=8', '--', '--x_y']);
});

test('PaddleNLP flag names: aliases, --params_path with its base, ignored flags, unique prefixes', async () => {
  const { translatePaddleFlags, deviceName } = await import('../../src/cli/paddle-flags.js');
  const known = ['--model', '--similar-text-pair-file', '--recall-num', '--recall-result-dir', '--recall-result-file', '--paddle-base'];
  const t = translatePaddleFlags(['recall', '--model-name-or-path', 'rocketqa-base', '--params-path', 'ckpt/model_40/model_state.pdparams', '--similar-text-pair', 'dev.tsv', '--recall-num=5', '--use-amp', '--hnsw-max-elements', '100'], known);
  assert.deepEqual(t.argv, ['recall', '--model', 'ckpt/model_40', '--paddle-base', 'rocketqa-base', '--similar-text-pair-file', 'dev.tsv', '--recall-num=5']);
  assert.equal(t.notes.length, 2);
  // ambiguous prefixes stay as written (commander then reports them)
  assert.deepEqual(translatePaddleFlags(['recall', '--recall-result', 'x'], known).argv, ['recall', '--recall-result', 'x']);
  assert.deepEqual(translatePaddleFlags(['train', '--train-set-file', 'a.tsv', '--log-steps', '5'], ['--train-set', '--logging-steps']).argv, ['train', '--train-set', 'a.tsv', '--logging-steps', '5']);
  assert.deepEqual(['gpu', 'gpu:1', 'cpu', 'cuda:0'].map(deviceName), ['cuda', 'cuda:1', 'cpu', 'cuda:0']);
});

test('index --workers default: one per core, fewer where memory would not hold a model each, one for an endpoint', async () => {
  const { defaultWorkerCount } = await import('../../src/cli/worker-count.js');
  const { mkdtempSync, mkdirSync, rmSync, truncateSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'inbatch-workers-'));
  try {
    writeFileSync(join(dir, 'model.safetensors'), '');
    truncateSync(join(dir, 'model.safetensors'), 100 * 2 ** 20); // sparse: 100 MiB of weights
    const GiB = 2 ** 30;
    assert.equal(defaultWorkerCount(dir, 2, 20 * GiB), 2);
    assert.equal(defaultWorkerCount(dir, 16, 20 * GiB), 14); // 10 GiB budget / (300 + 400 MiB)
    assert.equal(defaultWorkerCount(dir, 16, 2 * GiB), 1);
    mkdirSync(join(dir, 'onnx'));
    writeFileSync(join(dir, 'onnx', 'model.onnx'), '');
    truncateSync(join(dir, 'onnx', 'model.onnx'), 1024 * 2 ** 20); // an export's weights count too
    assert.equal(defaultWorkerCount(dir, 16, 20 * GiB), 2);
    assert.equal(defaultWorkerCount('http://127.0.0.1:9/v1', 16, 20 * GiB), 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
