// An HF ERNIE folder written by the tests, and what they compare embeddings with.
import { join } from 'node:path';
import { readSafetensors, writeSafetensors, type NamedArray } from '../../src/weights/safetensors.js';
import type { ModelConfig } from '../../src/model/config.js';
import { cjkChars, microConfig, mixedTexts, tokenizerOf, writeRandomModel } from '../helpers.js';

const chars = cjkChars(60);
export const tok = tokenizerOf(chars);
export const texts = mixedTexts(chars, 40);

export const maxDiff = (a: Float32Array[], b: Float32Array[]) => Math.max(...a.map((v, i) => Math.max(...v.map((x, k) => Math.abs(x - b[i]![k]!)))));

export function ernieConfig(act: string): ModelConfig {
  const bert = microConfig(tok.vocabSize, { pooling: 'cls', output_emb_size: 16 });
  return { ...bert, model_type: 'ernie', architectures: ['ErnieModel'], hidden_act: act, type_vocab_size: 4, use_task_id: true, task_type_vocab_size: 3, inbatch: { ...bert.inbatch, task_type_id: 1 } };
}

/**
 * An HF ERNIE folder: random weights with embedding tables of std 0.5 (a misplaced or missing
 * embedding moves the output visibly), optionally under the "ernie." prefix, plus an MLM head.
 */
export function writeErnieFolder(dir: string, act: string, prefix: string): void {
  writeRandomModel(dir, ernieConfig(act), tok, 5);
  const { tensors } = readSafetensors(join(dir, 'model.safetensors'));
  const out = new Map<string, NamedArray>();
  for (const [name, t] of tensors) {
    // and large inputs to the activation, where relu, gelu and gelu_new part ways
    const data = /embeddings\.(word|position|token_type|task_type)_embeddings|intermediate\.dense\.weight/.test(name) ? t.data.map((x) => x * 10) : t.data;
    out.set(name.startsWith('emb_reduce_linear') ? name : prefix + name, { shape: t.shape, data });
  }
  out.set('cls.predictions.bias', { shape: [tok.vocabSize], data: new Float32Array(tok.vocabSize) });
  writeSafetensors(join(dir, 'model.safetensors'), out);
}

