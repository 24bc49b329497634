// Matryoshka dimensions end to end: train records them with their measured Recall@10; export, embed,
// recall and serve accept the trained ones and refuse the others, naming them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { Embedder } from '../../src/infer/embedder.js';
import { buildServer } from '../../src/serve/server.js';
import { needsTorch, tempDir } from '../helpers.js';
import { inbatch, writeCliWorld } from './cli-fixture.js';
import type { AddressInfo } from 'node:net';

test('train --matryoshka-dims 32,8 records the dimensions and their Recall@10; export/embed/recall/serve take 8 and refuse 12', { skip: needsTorch, timeout: 240_000 }, async () => {
  const { dir, cleanup } = tempDir();
  try {
    const w = writeCliWorld(dir);
    assert.equal(inbatch('init', '--config', 'tiny', '--vocab', w.vocab, '--output-emb-size', '32', '--max-seq-length', '16', '--save-dir', w.file('init')).code, 0);
    const trained = inbatch('train', '--model', w.file('init'), '--train-set', w.file('train.tsv'), '--save-dir', w.file('run'), '--epochs', '1', '--batch-size', '16',
      '--matryoshka-dims', '32,8', '--evaluate', '--similar-text-pair-file', w.file('dev.tsv'), '--corpus-file', w.file('corpus.txt'), '--eval-exact');
    assert.equal(trained.code, 0, trained.err);
    const model = w.file('run/model_final');
    const config = JSON.parse(readFileSync(join(model, 'config.json'), 'utf8'));
    assert.deepEqual(config.inbatch.matryoshka.dims, [32, 8]);
    const evaluation = JSON.parse(trained.out).evaluations.at(-1).scores;
    assert.equal(config.inbatch.matryoshka.recall_at_10['32'], evaluation.success_at_10);
    assert.equal(config.inbatch.matryoshka.recall_at_10['8'], evaluation.success_at_10_dim_8);
    assert.deepEqual(JSON.parse(readFileSync(join(model, 'config_sentence_transformers.json'), 'utf8')).inbatch_matryoshka, config.inbatch.matryoshka);
    const record = JSON.parse(readFileSync(join(model, 'training_record.json'), 'utf8'));
    assert.equal(record.hyper_parameters.matryoshka_distill, 1, 'the default self-distillation weight is recorded with the run');

    // export: the full graph records the dimensions; --dimensions 8 bakes the prefix into the graph; 12 is refused
    assert.equal(inbatch('export', '--model', model, '--output', w.file('onnx')).code, 0);
    const meta = Object.fromEntries(onnxProto.onnx.ModelProto.decode(readFileSync(w.file('onnx/onnx/model.onnx'))).metadataProps.map((p) => [p.key, p.value]));
    assert.equal(meta.matryoshka_dims, '32,8');
    assert.deepEqual(JSON.parse(meta.matryoshka_recall_at_10!), config.inbatch.matryoshka.recall_at_10);
    const refused = inbatch('export', '--model', model, '--output', w.file('onnx12'), '--dimensions', '12');
    assert.equal(refused.code, 2, refused.err);
    assert.match(refused.err, /--dimensions 12: this model was trained for 32 \(Recall@10 [\d.]+\), 8 \(Recall@10 [\d.]+\)/);
    assert.equal(inbatch('export', '--model', model, '--output', w.file('onnx12'), '--dimensions', '12', '--allow-untrained-dimensions').code, 0);
    assert.equal(inbatch('export', '--model', model, '--output', w.file('onnx8'), '--dimensions', '8').code, 0);
    const full = await Embedder.load(w.file('onnx')), short = await Embedder.load(w.file('onnx8'));
    try {
      const texts = w.heldOut.slice(0, 4).map((p) => p.query);
      const [a, b] = [await full.embed(texts), await short.embed(texts)];
      assert.equal(short.dim, 8);
      a.forEach((v, i) => {
        const n = Math.hypot(...v.slice(0, 8));
        v.slice(0, 8).forEach((x, k) => assert.ok(Math.abs(x / n - b[i]![k]!) < 1e-5, `text ${i} value ${k}`));
      });
      // embed --dimensions: the same prefix; 12 refused
      const embedded = inbatch('embed', '--model', w.file('onnx'), '--dimensions', '8', texts[0]!);
      assert.equal(embedded.code, 0, embedded.err);
      JSON.parse(embedded.out)[0].embedding.forEach((x: number, k: number) => assert.ok(Math.abs(x - b[0]![k]!) < 1e-5));
      assert.match(inbatch('embed', '--model', w.file('onnx'), '--dimensions', '12', texts[0]!).err, /--dimensions 12: this model was trained for 32/);

      // recall at a trained dimension works, an untrained one is refused before any work
      const r8 = inbatch('recall', '--model', model, '--similar-text-pair-file', w.file('dev.tsv'), '--corpus-file', w.file('corpus.txt'), '--recall-result-dir', w.file('r8'), '--dimensions', '8', '--retriever', 'dense');
      assert.equal(r8.code, 0, r8.err);
      assert.match(r8.err, /shortened to their first 8 of 32 dimensions/);
      const r12 = inbatch('recall', '--model', model, '--similar-text-pair-file', w.file('dev.tsv'), '--corpus-file', w.file('corpus.txt'), '--recall-result-dir', w.file('r12'), '--dimensions', '12');
      assert.equal(r12.code, 2);
      assert.match(r12.err, /--dimensions 12: this model was trained for 32/);

      // serve: 8 answered, 12 refused 400 with the list, /info lists them
      const server = buildServer({ embedder: full, maxTexts: 8, bodyLimit: 1 << 16, maxK: 10 });
      await server.listen({ port: 0, host: '127.0.0.1' });
      const url = `http://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
      try {
        const ask = async (dimensions: number) => fetch(`${url}/v1/embeddings`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ input: texts[0], dimensions }) });
        const ok = await ask(8);
        assert.equal(ok.status, 200);
        ((await ok.json()) as any).data[0].embedding.forEach((x: number, k: number) => assert.ok(Math.abs(x - b[0]![k]!) < 1e-5));
        const bad = await ask(12);
        assert.equal(bad.status, 400);
        assert.match(((await bad.json()) as any).error.message, /dimensions 12: this model was trained for 32 \(Recall@10 [\d.]+\), 8/);
        const info = (await (await fetch(`${url}/info`)).json()) as any;
        assert.deepEqual(info.dimensions.map((d: any) => d.dimension), [32, 8]);
      } finally {
        await server.close();
      }
    } finally {
      await full.release();
      await short.release();
    }
  } finally {
    cleanup();
  }
});
