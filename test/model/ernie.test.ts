// ERNIE (Hugging Face ErnieModel): task-type embeddings, relu / gelu / gelu_new, the "ernie." prefix,
// through libtorch and the exported ONNX graph, saved and reloaded as ERNIE.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readSafetensors, writeSafetensors } from '../../src/weights/safetensors.js';
import { exportModel } from '../../src/export/export-model.js';
import { Embedder } from '../../src/infer/embedder.js';
import { normalizeConfig } from '../../src/model/config.js';
import { loadModel, loadWeights, saveModel } from '../../src/model/folder.js';
import { activation } from '../../src/model/bert.js';
import * as T from '../../src/torch/index.js';
import { microConfig, needsTorch, tempDir, writeRandomModel } from '../helpers.js';
import { ernieConfig, maxDiff, texts, tok, writeErnieFolder } from './ernie-fixture.js';



test('ERNIE folders (relu, gelu, gelu_new; with and without the ernie. prefix) embed the same in libtorch and ONNX, and save as ERNIE', { skip: needsTorch }, async () => {
  const { dir, cleanup } = tempDir();
  try {
    for (const act of ['relu', 'gelu', 'gelu_new']) {
      const plain = join(dir, `${act}-plain`), prefixed = join(dir, `${act}-prefixed`);
      writeErnieFolder(plain, act, '');
      writeErnieFolder(prefixed, act, 'ernie.');
      const { model, report } = loadModel(plain);
      assert.deepEqual(report.initialised, []);
      assert.deepEqual(report.unused, [], 'the MLM head is not reported');
      const a = model.embed(texts);
      const b = loadModel(prefixed).model.embed(texts);
      assert.equal(maxDiff(a, b), 0, `${act}: the prefix changes nothing`);

      const saved = join(dir, `${act}-saved`);
      saveModel(model, saved);
      const config = JSON.parse(readFileSync(join(saved, 'config.json'), 'utf8'));
      assert.deepEqual([config.model_type, config.use_task_id, config.task_type_vocab_size, config.hidden_act, config.inbatch.task_type_id], ['ernie', true, 3, act, 1]);
      assert.ok(readSafetensors(join(saved, 'model.safetensors')).tensors.has('embeddings.task_type_embeddings.weight'));
      assert.equal(maxDiff(loadModel(saved).model.embed(texts), a), 0, `${act}: reloads identically`);

      exportModel(saved, join(dir, `${act}-onnx`), { fp16: false });
      const onnx = await Embedder.load(join(dir, `${act}-onnx`));
      try {
        const diff = maxDiff(await onnx.embed(texts), a);
        assert.ok(diff <= 1e-4, `${act}: ONNX vs libtorch max diff ${diff}`);
      } finally {
        await onnx.release();
      }
    }
    // the activations really differ (a test of three names for one function would pass too)
    const relu = loadModel(join(dir, 'relu-plain')).model.embed(texts), gelu = loadModel(join(dir, 'gelu-plain')).model.embed(texts);
    assert.ok(maxDiff(relu, gelu) > 1e-3);
  } finally {
    cleanup();
  }
});

test('the task-type row is added to every token: ERNIE equals BERT with that row folded into the position table', { skip: needsTorch }, () => {
  const { dir, cleanup } = tempDir();
  try {
    const ernie = join(dir, 'ernie'), bert = join(dir, 'bert');
    writeErnieFolder(ernie, 'gelu', '');
    const { tensors } = readSafetensors(join(ernie, 'model.safetensors'));
    const config = ernieConfig('gelu');
    const H = config.hidden_size;
    const task = tensors.get('embeddings.task_type_embeddings.weight')!.data.slice(1 * H, 2 * H); // task_type_id 1
    const positions = tensors.get('embeddings.position_embeddings.weight')!;
    const folded = positions.data.map((x, i) => x + task[i % H]!);
    const bertTensors = new Map([...tensors].filter(([n]) => !n.includes('task_type')));
    bertTensors.set('embeddings.position_embeddings.weight', { shape: positions.shape, data: folded });
    writeRandomModel(bert, { ...microConfig(tok.vocabSize, { pooling: 'cls', output_emb_size: 16 }), type_vocab_size: 4 }, tok);
    writeSafetensors(join(bert, 'model.safetensors'), bertTensors);
    const diff = maxDiff(loadModel(ernie).model.embed(texts), loadModel(bert).model.embed(texts));
    assert.ok(diff < 1e-5, `max diff ${diff}`);
    // and the row matters: use_task_id false gives other embeddings, and reports the table as unused
    const raw = JSON.parse(readFileSync(join(ernie, 'config.json'), 'utf8'));
    writeFileSync(join(ernie, 'config.json'), JSON.stringify({ ...raw, use_task_id: false }));
    const { model, report } = loadModel(ernie);
    assert.deepEqual(report.unused, ['embeddings.task_type_embeddings.weight']);
    assert.ok(maxDiff(model.embed(texts), loadModel(bert).model.embed(texts)) > 1e-3);
  } finally {
    cleanup();
  }
});

test('model types and activations inbatch cannot run are refused by name', () => {
  const base = { vocab_size: 10, hidden_size: 8, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 16 };
  assert.throws(() => normalizeConfig({ ...base, model_type: 'roberta' }, 'c.json'), /c\.json: model_type "roberta" is not supported \(bert, ernie\)/);
  assert.throws(() => normalizeConfig({ ...base, hidden_act: 'silu' }, 'c.json'), /hidden_act "silu" is not supported \(gelu, relu, gelu_new, gelu_pytorch_tanh\)/);
  assert.throws(() => normalizeConfig({ ...base, model_type: 'ernie', use_task_id: true, inbatch: { task_type_id: 3 } }, 'c.json'), /inbatch\.task_type_id must be an id in \[0, 3\)/);
  const ernie = normalizeConfig({ ...base, model_type: 'ernie' }, 'c.json');
  assert.deepEqual([ernie.model_type, ernie.use_task_id, ernie.task_type_vocab_size, ernie.architectures], ['ernie', false, 3, ['ErnieModel']]);
  assert.equal(normalizeConfig(base, 'c.json').model_type, 'bert');
});

test('the activations against reference values (from Python\'s math.erf and math.tanh)', { skip: needsTorch }, () => {
  const x = [-3, -1, -0.5, 0, 0.5, 1, 2.5];
  const ref: Record<string, number[]> = {
    gelu: [-0.0040497, -0.1586553, -0.1542688, 0, 0.3457312, 0.8413447, 2.4844758],
    gelu_new: [-0.0036374, -0.158808, -0.154286, 0, 0.345714, 0.841192, 2.4849157],
    relu: [0, 0, 0, 0, 0.5, 1, 2.5],
  };
  for (const [kind, want] of Object.entries(ref)) {
    const got = T.toFloat32(activation(kind, T.fromData(Float32Array.from(x), [x.length])));
    want.forEach((v, i) => assert.ok(Math.abs(got[i]! - v) < 1e-5, `${kind}(${x[i]}) = ${got[i]}, want ${v}`));
  }
});

test('a sharded safetensors folder loads as the single file does; a lying index is refused', { skip: needsTorch }, () => {
  const { dir, cleanup } = tempDir();
  try {
    const one = join(dir, 'one'), sharded = join(dir, 'sharded');
    writeErnieFolder(one, 'relu', 'ernie.');
    writeErnieFolder(sharded, 'relu', 'ernie.');
    const { tensors } = readSafetensors(join(sharded, 'model.safetensors'));
    rmSync(join(sharded, 'model.safetensors'));
    const names = [...tensors.keys()];
    const weightMap: Record<string, string> = {};
    names.forEach((n, i) => { weightMap[n] = i % 2 ? 'model-00002-of-00002.safetensors' : 'model-00001-of-00002.safetensors'; });
    for (const shard of ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']) {
      writeSafetensors(join(sharded, shard), new Map(names.filter((n) => weightMap[n] === shard).map((n) => [n, tensors.get(n)!])));
    }
    const index = join(sharded, 'model.safetensors.index.json');
    writeFileSync(index, JSON.stringify({ metadata: {}, weight_map: weightMap }));
    assert.equal(maxDiff(loadModel(sharded).model.embed(texts), loadModel(one).model.embed(texts)), 0);
    // --init-from-ckpt style: a single .safetensors file
    assert.equal(loadWeights(join(one, 'model.safetensors'), loadModel(one).model.config).params.size, loadModel(one).model.params.size);

    writeFileSync(index, JSON.stringify({ weight_map: { ...weightMap, [names[0]!]: '../elsewhere.safetensors' } }));
    assert.throws(() => loadModel(sharded), /shards are \.safetensors file names in the same folder/);
    writeFileSync(index, JSON.stringify({ weight_map: { ...weightMap, [names[0]!]: 'model-00002-of-00002.safetensors' } }));
    assert.throws(() => loadModel(sharded), /holds .*, which the index puts in model-00002-of-00002|should be in model-00002-of-00002.safetensors, which lacks it/);
    writeFileSync(index, JSON.stringify({ weight_map: { ...weightMap, extra: 'model-00003-of-00002.safetensors' } }));
    assert.throws(() => loadModel(sharded), /shard model-00003-of-00002.safetensors is missing/);
  } finally {
    cleanup();
  }
});

test('inbatch train from an HF ERNIE folder saves an ERNIE model (task table and all) that reloads with the same embeddings', { skip: needsTorch }, async () => {
  const { inbatch } = await import('../cli/cli-fixture.js');
  const { dir, cleanup } = tempDir();
  try {
    writeErnieFolder(join(dir, 'base'), 'gelu_new', 'ernie.');
    writeFileSync(join(dir, 'train.tsv'), texts.slice(0, 32).map((t, i) => `${t.slice(0, 20)}\t${texts[(i + 1) % 32]!.slice(0, 20)}\n`).join(''));
    const r = inbatch('train', '--model', join(dir, 'base'), '--train-set', join(dir, 'train.tsv'), '--save-dir', join(dir, 'run'), '--batch-size', '8', '--max-steps', '3');
    assert.equal(r.code, 0, r.err);
    const final = join(dir, 'run', 'model_final');
    const config = JSON.parse(readFileSync(join(final, 'config.json'), 'utf8'));
    assert.deepEqual([config.model_type, config.use_task_id, config.hidden_act, config.inbatch.task_type_id], ['ernie', true, 'gelu_new', 1]);
    const weights = readSafetensors(join(final, 'model.safetensors')).tensors;
    const before = readSafetensors(join(dir, 'base', 'model.safetensors')).tensors;
    const moved = maxDiff([weights.get('embeddings.task_type_embeddings.weight')!.data], [before.get('ernie.embeddings.task_type_embeddings.weight')!.data]);
    assert.ok(moved > 0, 'the task-type row is trained');
    // a saved ERNIE is an inbatch folder: export it and compare with libtorch
    const model = loadModel(final).model;
    exportModel(final, join(dir, 'onnx'), { fp16: false });
    const onnx = await Embedder.load(join(dir, 'onnx'));
    try {
      assert.ok(maxDiff(await onnx.embed(texts), model.embed(texts)) <= 1e-4);
    } finally {
      await onnx.release();
    }
  } finally {
    cleanup();
  }
});
