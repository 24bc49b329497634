// pytorch_model.bin, PaddleNLP folders and semantic-indexing checkpoints load as the same weights in
// safetensors do; the restricted unpickler refuses what could run code and what lies about its size.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { readPaddleCheckpoint } from '../../src/weights/paddle-checkpoint.js';
import { unpickle } from '../../src/weights/pickle.js';
import { readSafetensors, type NamedArray } from '../../src/weights/safetensors.js';
import { readTorchCheckpoint } from '../../src/weights/torch-checkpoint.js';
import { loadModel, loadPaddleModel, loadWeights } from '../../src/model/folder.js';
import { readPaddleConfig } from '../../src/model/paddle-format.js';
import * as T from '../../src/torch/index.js';
import { inbatch } from '../cli/cli-fixture.js';
import { Embedder } from '../../src/infer/embedder.js';
import { PickleWriter, paddleSaveBytes, storedZip, torchSaveBytes } from '../weights/pickle-writer.js';
import { needsTorch, repoRoot, tempDir } from '../helpers.js';
import { maxDiff, texts, writeErnieFolder } from './ernie-fixture.js';

/** HF names -> PaddleNLP's, Linear weights [out, in] -> [in, out]. */
function toPaddle(tensors: Map<string, NamedArray>, prefix: string): Map<string, NamedArray> {
  const out = new Map<string, NamedArray>();
  for (const [raw, t] of tensors) {
    let name = raw.replace(/^ernie\./, '');
    if (name.startsWith('cls.')) continue;
    const linear = /(attention\.self\.(query|key|value)|attention\.output\.dense|intermediate\.dense|output\.dense|pooler\.dense|emb_reduce_linear)\.weight$/.test(name);
    name = name.replace('embeddings.LayerNorm.', 'embeddings.layer_norm.')
      .replace(/encoder\.layer\.(\d+)\.attention\.self\.query\./, 'encoder.layers.$1.self_attn.q_proj.')
      .replace(/encoder\.layer\.(\d+)\.attention\.self\.key\./, 'encoder.layers.$1.self_attn.k_proj.')
      .replace(/encoder\.layer\.(\d+)\.attention\.self\.value\./, 'encoder.layers.$1.self_attn.v_proj.')
      .replace(/encoder\.layer\.(\d+)\.attention\.output\.dense\./, 'encoder.layers.$1.self_attn.out_proj.')
      .replace(/encoder\.layer\.(\d+)\.attention\.output\.LayerNorm\./, 'encoder.layers.$1.norm1.')
      .replace(/encoder\.layer\.(\d+)\.intermediate\.dense\./, 'encoder.layers.$1.linear1.')
      .replace(/encoder\.layer\.(\d+)\.output\.dense\./, 'encoder.layers.$1.linear2.')
      .replace(/encoder\.layer\.(\d+)\.output\.LayerNorm\./, 'encoder.layers.$1.norm2.');
    let value = t;
    if (linear) {
      const [r, c] = t.shape as [number, number];
      const data = new Float32Array(r * c);
      for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) data[j * r + i] = t.data[i * c + j]!;
      value = { shape: [c, r], data };
    }
    out.set(name.startsWith('emb_reduce_linear') ? name : prefix + name, value);
  }
  return out;
}

test('pytorch_model.bin (with a strided, transposed tensor) loads as the safetensors folder does', { skip: needsTorch }, () => {
  const { dir, cleanup } = tempDir();
  try {
    const hf = join(dir, 'hf'), bin = join(dir, 'bin');
    writeErnieFolder(hf, 'relu', 'ernie.');
    writeErnieFolder(bin, 'relu', 'ernie.');
    const { tensors } = readSafetensors(join(bin, 'model.safetensors'));
    rmSync(join(bin, 'model.safetensors'));
    writeFileSync(join(bin, 'pytorch_model.bin'), torchSaveBytes(tensors, new Set(['ernie.encoder.layer.0.attention.self.query.weight'])));
    const read = readTorchCheckpoint(join(bin, 'pytorch_model.bin'));
    for (const [name, t] of tensors) assert.deepEqual(Array.from(read.get(name)!.data), Array.from(t.data), name);
    assert.equal(maxDiff(loadModel(bin).model.embed(texts), loadModel(hf).model.embed(texts)), 0);
  } finally {
    cleanup();
  }
});

test('a PaddleNLP folder and a semantic-indexing checkpoint embed as the same weights in a Hugging Face folder; export takes it; convert round-trips', { skip: needsTorch }, async () => {
  const { dir, cleanup } = tempDir();
  try {
    const hf = join(dir, 'hf');
    writeErnieFolder(hf, 'gelu', '');
    const hfConfig = JSON.parse(readFileSync(join(hf, 'config.json'), 'utf8'));
    const { tensors } = readSafetensors(join(hf, 'model.safetensors'));

    // a pretrained base: no prefix, config.json in PaddleNLP's words, vocab.txt
    const base = join(dir, 'paddle-base');
    mkdirSync(base);
    writeFileSync(join(base, 'model_state.pdparams'), paddleSaveBytes(toPaddle(new Map([...tensors].filter(([n]) => !n.startsWith('emb_reduce'))), '')));
    const { inbatch: _drop, model_type: _type, ...paddleConfig } = hfConfig;
    writeFileSync(join(base, 'config.json'), JSON.stringify({ ...paddleConfig, architectures: ['ErnieModel'], layer_norm_eps: 1e-5 }));
    writeFileSync(join(base, 'vocab.txt'), readFileSync(join(hf, 'vocab.txt')));
    const fromPaddle = loadModel(base);
    assert.deepEqual([fromPaddle.model.config.model_type, fromPaddle.model.config.use_task_id, fromPaddle.model.config.inbatch.output_emb_size], ['ernie', true, 0]);
    const hfNoProjection = loadModel(hf, { output_emb_size: 0, task_type_id: 0 }).model.embed(texts);
    assert.ok(maxDiff(loadModel(base, { task_type_id: 0, max_seq_length: 32 }).model.embed(texts), hfNoProjection) < 1e-5);
    // export reads the PaddleNLP folder through the same table of formats as training
    const exported = inbatch('export', '--model', base, '--output', join(dir, 'paddle-onnx'));
    assert.equal(exported.code, 0, exported.err);
    const onnx = await Embedder.load(join(dir, 'paddle-onnx'));
    assert.ok(maxDiff(await onnx.embed(texts), fromPaddle.model.embed(texts)) < 1e-4);
    await onnx.release();

    // a trained semantic-indexing checkpoint: ptm. prefix, emb_reduce_linear, pooled output; config and vocab from the base
    const ckpt = join(dir, 'checkpoint');
    mkdirSync(ckpt);
    writeFileSync(join(ckpt, 'model_state.pdparams'), paddleSaveBytes(toPaddle(tensors, 'ptm.')));
    const semantic = loadPaddleModel(ckpt, base, { task_type_id: 0, max_seq_length: 32 }).model;
    assert.deepEqual([semantic.config.inbatch.pooling, semantic.config.inbatch.output_emb_size], ['pooler', 16]);
    const hfPooler = loadModel(hf, { pooling: 'pooler', task_type_id: 0 }).model.embed(texts);
    assert.ok(maxDiff(semantic.embed(texts), hfPooler) < 1e-5);

    // --init-from-ckpt takes the .pdparams file itself
    const fromFile = loadWeights(join(ckpt, 'model_state.pdparams'), semantic.config).params;
    for (const [name, p] of semantic.params) assert.deepEqual(Array.from(T.toFloat32(fromFile.get(name)!)), Array.from(T.toFloat32(p)), name);

    // inbatch convert writes an inbatch folder that embeds the same
    const r = inbatch('convert', ckpt, '--base', base, '--max-seq-length', '32', '--output', join(dir, 'converted'));
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /ernie, 2 layers x 32; pooling pooler, projection 16/);
    const converted = loadModel(join(dir, 'converted'), { task_type_id: 0 });
    assert.equal(converted.model.config.model_type, 'ernie');
    assert.ok(maxDiff(converted.model.embed(texts), hfPooler) < 1e-5);
  } finally {
    cleanup();
  }
});

test('arrays split under UnpackBigParamInfor@@ are joined back', () => {
  const { dir, cleanup } = tempDir();
  try {
    const whole = Float32Array.from({ length: 12 }, (_, i) => i / 3);
    const parts = new Map([['w@@.0', { shape: [5], data: whole.slice(0, 5) }], ['w@@.1', { shape: [7], data: whole.slice(5) }]]);
    // the slices written as paddle.save writes arrays, then the info entry spliced in where the bookkeeping entry was
    const bytes = paddleSaveBytes(parts);
    // replace the final StructuredToParameterName@@ entry with UnpackBigParamInfor@@ {w: {OriginShape: [3, 4], slices: [...]}}
    const tail = new PickleWriter().str('UnpackBigParamInfor@@').emptyDict().mark().str('w').emptyDict().mark()
      .str('OriginShape').raw(0x5d).int(3).raw(0x61).int(4).raw(0x61).str('slices').raw(0x5d).str('w@@.0').raw(0x61).str('w@@.1').raw(0x61).setItems().setItems().setItems().stop().toBytes();
    const marker = new PickleWriter().str('StructuredToParameterName@@').toBytes();
    const at = Buffer.from(bytes).indexOf(Buffer.from(marker));
    writeFileSync(join(dir, 'big.pdparams'), Buffer.concat([Buffer.from(bytes.subarray(0, at)), Buffer.from(tail)]));
    const read = readPaddleCheckpoint(join(dir, 'big.pdparams'));
    assert.deepEqual([...read.keys()], ['w']);
    assert.deepEqual(read.get('w')!.shape, [3, 4]);
    assert.deepEqual(Array.from(read.get('w')!.data), Array.from(whole));
    // one slice listed twice would be joined twice (a 13 MB file made convert allocate 6 GB)
    const twice = new PickleWriter().str('UnpackBigParamInfor@@').emptyDict().mark().str('w').emptyDict().mark()
      .str('OriginShape').raw(0x5d).int(2).raw(0x61).int(5).raw(0x61).str('slices').raw(0x5d).str('w@@.0').raw(0x61).str('w@@.0').raw(0x61).setItems().setItems().setItems().stop().toBytes();
    writeFileSync(join(dir, 'twice.pdparams'), Buffer.concat([Buffer.from(bytes.subarray(0, at)), Buffer.from(twice)]));
    assert.throws(() => readPaddleCheckpoint(join(dir, 'twice.pdparams')), /twice\.pdparams: UnpackBigParamInfor@@ lists the slice w@@\.0 twice for w/);
    writeFileSync(join(dir, 'inf.pdparams'), paddleSaveBytes(new Map([['w', { shape: [3], data: Float32Array.from([1, Infinity, 2]) }]])));
    assert.throws(() => readPaddleCheckpoint(join(dir, 'inf.pdparams')), /inf\.pdparams: an array of shape \[3\] holds Infinity at index 1/);
  } finally {
    cleanup();
  }
});

test('the unpickler refuses globals it was not given, calls of anything but the builders, truncated and lying files', () => {
  const globals = { globals: { 'collections.OrderedDict': { call: () => new Map() } } };
  const evil = new PickleWriter().proto(2).global('os', 'system').str('echo pwned').raw(0x85).reduce().stop().toBytes();
  assert.throws(() => unpickle(evil, 'evil.pkl', globals), /evil\.pkl: pickle byte \d+: the global os\.system is not allowed/);
  const eval_ = new PickleWriter().proto(4).str('builtins').str('eval').raw(0x93).str('1').raw(0x85).reduce().stop().toBytes();
  assert.throws(() => unpickle(eval_, 'e.pkl', globals), /the global builtins\.eval is not allowed/);
  // a global that is allowed as a value but has no builder may not be called
  const noCall = new PickleWriter().proto(2).global('numpy', 'ndarray').emptyTuple().reduce().stop().toBytes();
  assert.throws(() => unpickle(noCall, 'n.pkl', { globals: { 'numpy.ndarray': {} } }), /REDUCE of numpy\.ndarray, which this reader does not call/);
  // REDUCE of something that is not a global at all (a string)
  const notGlobal = new PickleWriter().proto(2).str('x').emptyTuple().reduce().stop().toBytes();
  assert.throws(() => unpickle(notGlobal, 'g.pkl', globals), /REDUCE of something that is not an allowed global/);
  // a string whose length runs past the end
  const lying = new PickleWriter().proto(2).raw(0x58, 0xff, 0xff, 0xff, 0x7f, 0x41).stop().toBytes();
  assert.throws(() => unpickle(lying, 'l.pkl', globals), /l\.pkl: pickle byte \d+: truncated/);
  const truncated = new PickleWriter().proto(2).global('collections', 'OrderedDict').emptyTuple().reduce().toBytes();
  assert.throws(() => unpickle(truncated, 't.pkl', globals), /truncated/);
  assert.throws(() => unpickle(new PickleWriter().proto(2).raw(0x69).toBytes(), 'i.pkl', globals), /opcode 0x69 .* is not read/);
  assert.throws(() => unpickle(new PickleWriter().proto(2).raw(0x68, 9).stop().toBytes(), 'm.pkl', globals), /memo entry 9 was never stored/);
});

test('torch zips that lie are refused with the file named, never read out of bounds', () => {
  const { dir, cleanup } = tempDir();
  try {
    const good = torchSaveBytes(new Map([['w', { shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) }]]));
    const file = join(dir, 'pytorch_model.bin');
    writeFileSync(file, good);
    assert.deepEqual(Array.from(readTorchCheckpoint(file).get('w')!.data), [1, 2, 3, 4, 5, 6]);
    writeFileSync(file, good.subarray(0, good.length - 30));
    assert.throws(() => readTorchCheckpoint(file), /pytorch_model\.bin: not a readable zip/);
    // a tensor that claims more elements than its storage has
    const big = torchSaveBytes(new Map([['w', { shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) }]]));
    const pkl = Buffer.from(big);
    const sizeAt = pkl.indexOf(Buffer.from([0x4a, 2, 0, 0, 0, 0x4a, 3, 0, 0, 0]));
    pkl[sizeAt + 1] = 9; // size (9, 3) over a 6-element storage
    writeFileSync(file, pkl);
    assert.throws(() => readTorchCheckpoint(file), /a tensor of shape \[9,3\] \(27 values\) views a storage of 6; refused before it is rebuilt/);
    // zero strides: a million rows over six values, or 2^31-1 values, would be materialised
    for (const [size, stride] of [[[1000000, 6], [0, 1]], [[2 ** 31 - 1], [0]]] as const) {
      const zero = storedZip([['archive/data.pkl', new PickleWriter().proto(2).global('collections', 'OrderedDict').emptyTuple().reduce().mark().str('w')
        .global('torch._utils', '_rebuild_tensor_v2').mark().mark().str('storage').global('torch', 'FloatStorage').str('0').str('cpu').int(6).tuple().persistentId()
        .int(0).ints([...size]).ints([...stride]).bool(false).global('collections', 'OrderedDict').emptyTuple().reduce().tuple().reduce().setItems().stop().toBytes()], ['archive/data/0', new Uint8Array(24)]]);
      writeFileSync(file, zero);
      assert.throws(() => readTorchCheckpoint(file), /pytorch_model\.bin: a tensor of shape .* views a storage of 6/);
    }
    // a storage that holds NaN or Infinity is refused by the reader, as safetensors' is
    writeFileSync(file, torchSaveBytes(new Map([['w', { shape: [2], data: Float32Array.from([1, NaN]) }]])));
    assert.throws(() => readTorchCheckpoint(file), /pytorch_model\.bin: storage \S+ holds NaN at index 1/);
    // a storage file shorter than the element count says
    const short = storedZip([['archive/data.pkl', new PickleWriter().proto(2).global('collections', 'OrderedDict').emptyTuple().reduce().mark().str('w')
      .global('torch._utils', '_rebuild_tensor_v2').mark().mark().str('storage').global('torch', 'FloatStorage').str('0').str('cpu').int(100).tuple().persistentId()
      .int(0).ints([100]).ints([1]).bool(false).global('collections', 'OrderedDict').emptyTuple().reduce().tuple().reduce().setItems().stop().toBytes()], ['archive/data/0', new Uint8Array(8)]]);
    writeFileSync(file, short);
    assert.throws(() => readTorchCheckpoint(file), /storage 0 holds 8 bytes, 100 F32 values need 400/);
    // an end record that claims more entries than its directory can hold, or a directory past the file
    const lying = Buffer.from(good);
    lying.writeUInt16LE(60000, lying.length - 22 + 10);
    writeFileSync(file, lying);
    assert.throws(() => readTorchCheckpoint(file), /60000 entries cannot fit in a central directory of \d+ bytes/);
    const far = Buffer.from(good);
    far.writeUInt32LE(0x7fff0000, far.length - 22 + 12);
    writeFileSync(file, far);
    assert.throws(() => readTorchCheckpoint(file), /not a readable zip \(a central directory of 2147418112 bytes \(more than 64 MiB\)\)/);
    far.writeUInt32LE(far.length, far.length - 22 + 12);
    writeFileSync(file, far);
    assert.throws(() => readTorchCheckpoint(file), /not a readable zip \(central directory beyond the file\)/);
    writeFileSync(file, 'not a zip at all');
    assert.throws(() => readTorchCheckpoint(file), /no end-of-central-directory record/);
  } finally {
    cleanup();
  }
});

test('PaddleNLP configs: config.json, and the older one-line model_config.json with nested init_args', () => {
  const { dir, cleanup } = tempDir();
  try {
    writeFileSync(join(dir, 'model_config.json'), JSON.stringify({ init_args: [{ init_args: [{ hidden_size: 312, num_attention_heads: 12, vocab_size: 40000 }], init_class: 'ErnieModel' }], init_class: 'ErnieForSequenceClassification' }));
    const raw = readPaddleConfig(dir);
    assert.equal(raw.num_attention_heads, 12);
    assert.deepEqual(raw.architectures, ['ErnieForSequenceClassification']);
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ num_attention_heads: 4, architectures: ['ErnieModel'] }));
    assert.equal(readPaddleConfig(dir).num_attention_heads, 4, 'config.json wins, as in PaddleNLP >= 2.5');
  } finally {
    cleanup();
  }
});

test('a hostile .bin (12 MB of storage viewed with zero strides as 300M values) is refused without growing memory past 3x its size', () => {
  const { dir, cleanup } = tempDir();
  try {
    const n = 3_000_000; // 12 MB of float32
    const file = join(dir, 'pytorch_model.bin');
    writeFileSync(file, storedZip([['archive/data.pkl', new PickleWriter().proto(2).global('collections', 'OrderedDict').emptyTuple().reduce().mark().str('w')
      .global('torch._utils', '_rebuild_tensor_v2').mark().mark().str('storage').global('torch', 'FloatStorage').str('0').str('cpu').int(n).tuple().persistentId()
      .int(0).ints([100, n]).ints([0, 1]).bool(false).global('collections', 'OrderedDict').emptyTuple().reduce().tuple().reduce().setItems().stop().toBytes()], ['archive/data/0', new Uint8Array(n * 4)]]));
    const size = statSync(file).size;
    const reader = join(repoRoot, 'dist', 'src', 'weights', 'torch-checkpoint.js');
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', `
      const { readTorchCheckpoint } = await import(${JSON.stringify(reader)});
      const before = process.memoryUsage().rss;
      let error = '';
      try { readTorchCheckpoint(${JSON.stringify(file)}); } catch (e) { error = e.message; }
      // VmHWM, the peak of this process image (getrusage's maxRSS keeps the parent's from before exec)
      const { readFileSync } = await import('node:fs');
      const peak = Number(/VmHWM:\\s+(\\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) * 1024;
      console.log(JSON.stringify({ growth: peak - before, error }));
    `], { encoding: 'utf8', env: { PATH: process.env.PATH } }); // a clean environment: node --test's own variables change the child
    assert.equal(child.status, 0, child.stderr);
    const { growth, error } = JSON.parse(child.stdout) as { growth: number; error: string };
    assert.match(error, /views a storage of 3000000/);
    assert.ok(growth < 3 * size, `peak RSS grew by ${(growth / 1e6).toFixed(1)} MB for a ${(size / 1e6).toFixed(1)} MB file`);
  } finally {
    cleanup();
  }
});
