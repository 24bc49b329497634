// The exported folder loads in transformers.js (@huggingface/transformers) as is, and gives
// the same embeddings as inbatch's own Embedder: same graph, and its tokenizer.json tokenizes alike.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { basename, dirname, join } from 'node:path';
import { AutoModel, AutoTokenizer, env } from '@huggingface/transformers';
import { exportModel } from '../../src/export/export-model.js';
import { Embedder } from '../../src/infer/embedder.js';
import { cjkChars, microConfig, mixedTexts, tempDir, tokenizerOf, writeRandomModel } from '../helpers.js';

test('transformers.js loads the export and matches the Embedder (cosine >= 0.9999)', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const chars = cjkChars(80);
    const tok = tokenizerOf([...chars, 'hello', 'world', '!', '，', '？', 'abc', '123']);
    writeRandomModel(join(dir, 'm'), microConfig(tok.vocabSize, { pooling: 'cls' }), tok, 5);
    const out = join(dir, 'export');
    exportModel(join(dir, 'm'), out, { fp16: false });
    env.allowRemoteModels = false;
    env.localModelPath = dirname(out) + '/';
    const hfTokenizer = await AutoTokenizer.from_pretrained(basename(out));
    const hfModel = await AutoModel.from_pretrained(basename(out), { dtype: 'fp32' });
    // texts that fit in max_seq_length: transformers.js truncates after adding [SEP] (dropping it),
    // where Hugging Face's Python tokenizer and inbatch keep [SEP] (see the README)
    const texts = mixedTexts(chars, 80).filter((t) => tok.tokenize(t).length <= 30);
    assert.ok(texts.length >= 60);
    const ours = await (await Embedder.load(out)).embed(texts);
    for (let i = 0; i < texts.length; i++) {
      // one text at a time: transformers.js pads to the batch's longest, as the Embedder does
      const inputs = await hfTokenizer([texts[i]!], { truncation: true, max_length: 32 });
      assert.deepEqual(Array.from(inputs.input_ids.data as BigInt64Array, Number), tok.encode(texts[i]!, 32).inputIds, `tokens of ${texts[i]}`);
      const { embeddings } = await hfModel(inputs);
      const v = embeddings.data as Float32Array;
      const cos = v.reduce((s, x, k) => s + x * ours[i]![k]!, 0);
      assert.ok(cos >= 0.9999, `${texts[i]}: cosine ${cos}`);
    }
  } finally {
    cleanup();
  }
});

test('an ERNIE export (task-type row, relu) loads in transformers.js too and matches the Embedder', async () => {
  const { writeErnieFolder, texts } = await import('../model/ernie-fixture.js');
  const { dir, cleanup } = tempDir();
  try {
    writeErnieFolder(join(dir, 'm'), 'relu', '');
    const out = join(dir, 'ernie-export');
    exportModel(join(dir, 'm'), out, { fp16: false });
    env.allowRemoteModels = false;
    env.localModelPath = dirname(out) + '/';
    // transformers.js has no "ernie" class and builds its generic one (it says so once): the graph carries the task row itself
    const hfTokenizer = await AutoTokenizer.from_pretrained(basename(out));
    const hfModel = await AutoModel.from_pretrained(basename(out), { dtype: 'fp32' });
    const embedder = await Embedder.load(out);
    const short = texts.filter((t) => embedder.tokenizer.tokenize(t).length <= 30).slice(0, 20);
    const ours = await embedder.embed(short);
    for (let i = 0; i < short.length; i++) {
      const { embeddings } = await hfModel(await hfTokenizer([short[i]!], { truncation: true, max_length: 32 }));
      const cos = (embeddings.data as Float32Array).reduce((s, x, k) => s + x * ours[i]![k]!, 0);
      assert.ok(cos >= 0.9999, `${short[i]}: cosine ${cos}`);
    }
    await embedder.release();
  } finally {
    cleanup();
  }
});

test('transformers.js pipeline("feature-extraction", dir) returns inbatch\'s embeddings with every pooling mode, normalized or not, fp32/fp16/q8, in batches whose first text is short', async () => {
  const { pipeline } = await import('@huggingface/transformers');
  const { dir, cleanup } = tempDir();
  try {
    const chars = cjkChars(50);
    const tok = tokenizerOf(chars);
    writeRandomModel(join(dir, 'm'), microConfig(tok.vocabSize, { pooling: 'mean' }), tok, 9);
    const out = join(dir, 'pipeline-export');
    exportModel(join(dir, 'm'), out, { fp16: true, quantize: true });
    env.allowRemoteModels = false;
    env.localModelPath = dirname(out) + '/';
    const pool = mixedTexts(chars, 60).filter((t) => tok.tokenize(t).length <= 30);
    const byLength = [...pool].sort((a, b) => tok.tokenize(a).length - tok.tokenize(b).length);
    // the short text first: its mask row has zeros where the longer ones have tokens
    const batch = [byLength[0]!, ...byLength.slice(-5).reverse(), ...pool.slice(0, 4)];
    assert.ok(tok.tokenize(batch[0]!).length + 3 < tok.tokenize(batch[1]!).length, 'the first text is shorter than the next');
    for (const [dtype, precision] of [['fp32', 'fp32'], ['fp16', 'fp16'], ['q8', 'q8']] as const) {
      const extractor = await pipeline('feature-extraction', basename(out), { dtype });
      const embedder = await Embedder.load(out, { precision });
      // q8 scales activations per batch, so compare it text by text on both sides
      const ours = precision === 'q8' ? (await Promise.all(batch.map((t) => embedder.embed([t])))).map((r) => r[0]!) : await embedder.embed(batch);
      const cosine = (v: ArrayLike<number>, offset: number, w: Float32Array) => {
        let dot = 0, norm = 0;
        for (let k = 0; k < 16; k++) { dot += v[offset + k]! * w[k]!; norm += v[offset + k]! ** 2; }
        return dot / Math.sqrt(norm);
      };
      for (const pooling of ['none', 'mean', 'cls', 'first_token', 'last_token'] as const) {
        for (const normalize of [false, true]) {
          const inputs = precision === 'q8' ? batch.map((t) => [t]) : [batch];
          let row = 0;
          for (const texts of inputs) {
            const t = await extractor(texts, { pooling, normalize });
            const v = t.data as Float32Array;
            const tokens = pooling === 'none' ? t.dims[1]! : 1;
            assert.equal(t.dims.at(-1), 16, `dims ${t.dims}`);
            for (let i = 0; i < texts.length; i++, row++) {
              // with no pooling, every token (padding included) carries the embedding
              for (let j = 0; j < tokens; j++) {
                const c = cosine(v, (i * tokens + j) * 16, ours[row]!);
                assert.ok(c >= 0.9999, `${precision} ${pooling} normalize=${normalize} text ${row} token ${j}: cosine ${c}`);
              }
            }
          }
        }
      }
      await embedder.release();
      await extractor.dispose();
    }
  } finally {
    cleanup();
  }
});

test('export --quantize: dynamic int8 (q8) stays within cos 0.99 of fp32 on 200 mixed texts, and transformers.js loads it as dtype q8', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const chars = cjkChars(80);
    const tok = tokenizerOf([...chars, 'hello', 'world', '!', '，', '？', 'abc', '123']);
    writeRandomModel(join(dir, 'm'), microConfig(tok.vocabSize, { pooling: 'mean' }), tok, 13);
    const out = join(dir, 'q8-export');
    const report = exportModel(join(dir, 'm'), out, { fp16: false, quantize: true });
    assert.ok(report.files.includes('onnx/model_quantized.onnx'));
    assert.ok(report.bytes['onnx/model_quantized.onnx']! < report.bytes['onnx/model.onnx']! * 0.6, 'int8 weights are smaller');
    const texts = mixedTexts(chars, 200);
    const fp32 = await Embedder.load(out);
    const q8 = await Embedder.load(out, { precision: 'q8' });
    const a = await fp32.embed(texts), b = await q8.embed(texts);
    const cosines = a.map((v, i) => v.reduce((s, x, k) => s + x * b[i]![k]!, 0));
    const min = Math.min(...cosines);
    assert.ok(min >= 0.99, `min cosine ${min}`);
    assert.ok(min < 0.999999, 'the q8 graph really is another computation');
    env.allowRemoteModels = false;
    env.localModelPath = dirname(out) + '/';
    const hfTokenizer = await AutoTokenizer.from_pretrained(basename(out));
    const hfModel = await AutoModel.from_pretrained(basename(out), { dtype: 'q8' });
    const short = texts.filter((t) => tok.tokenize(t).length <= 30).slice(0, 10);
    for (let i = 0; i < short.length; i++) {
      // one text at a time on both sides: dynamic quantization scales each activation tensor by its own
      // range, so a text's q8 vector depends (slightly) on the batch it shares
      const [ours] = await q8.embed([short[i]!]);
      const { embeddings } = await hfModel(await hfTokenizer([short[i]!], { truncation: true, max_length: 32 }));
      const cos = (embeddings.data as Float32Array).reduce((s, x, k) => s + x * ours![k]!, 0);
      assert.ok(cos >= 0.9999, `${short[i]}: transformers.js q8 vs Embedder q8 cosine ${cos}`);
    }
    await fp32.release();
    await q8.release();
  } finally {
    cleanup();
  }
});

test('the ONNX files carry pooling, normalisation, dimension and max_seq_length as metadata_props, and onnxruntime loads each', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const tok = tokenizerOf(cjkChars(20));
    writeRandomModel(join(dir, 'm'), microConfig(tok.vocabSize, { pooling: 'mean' }), tok, 3);
    exportModel(join(dir, 'm'), join(dir, 'meta'), { fp16: true, quantize: true });
    const ort = await import('onnxruntime-node');
    for (const [file, precision] of [['model.onnx', 'fp32'], ['model_fp16.onnx', 'fp16'], ['model_quantized.onnx', 'q8']]) {
      const { readFileSync } = await import('node:fs');
      const session = await ort.InferenceSession.create(readFileSync(join(dir, 'meta', 'onnx', file!)));
      // the session loads the file; the custom metadata is read back from its protobuf
      const onnx = (await import('onnx-proto')).default.onnx;
      const model = onnx.ModelProto.decode(readFileSync(join(dir, 'meta', 'onnx', file!)));
      const meta = Object.fromEntries(model.metadataProps.map((p) => [p.key, p.value]));
      assert.deepEqual(meta, { pooling: 'mean', normalized: 'l2', dimension: '16', max_seq_length: '32', model_type: 'bert', precision });
      assert.deepEqual([...session.outputNames].sort(), ['embeddings', 'last_hidden_state', 'token_embeddings']);
      await session.release();
    }
  } finally {
    cleanup();
  }
});
