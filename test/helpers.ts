import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:net';
import { distributedAvailable, libtorchAvailable } from '../src/torch/index.js';
import { BertTokenizer } from '../src/text/bert-tokenizer.js';
import { presetConfig, type InbatchSettings, type ModelConfig } from '../src/model/config.js';
import { dualEncoderParameterShapes } from '../src/model/dual-encoder.js';
import { writeTokenizerFiles } from '../src/text/tokenizer-files.js';
import { writeSafetensors } from '../src/weights/safetensors.js';
import { Random } from '../src/util/random.js';

export const repoRoot = resolve(fileURLToPath(import.meta.url), '../../..');
export const sharedData = resolve(repoRoot, '../shared/data');

/**
 * A node:test skip option for something CI must have: the reason when it is missing, or, with
 * INBATCH_REQUIRE_NATIVE=1 (as .ci/run sets it), an error, so that CI never passes with a whole
 * group of tests silently skipped.
 */
export function requiredOrSkip(missing: string | false): false | string {
  if (!missing) return false;
  if (process.env.INBATCH_REQUIRE_NATIVE === '1') throw new Error(`INBATCH_REQUIRE_NATIVE=1 but ${missing}`);
  return missing;
}

/** Skip reason when the libtorch addon is missing (a failure under INBATCH_REQUIRE_NATIVE=1). */
export const needsTorch: false | string = requiredOrSkip(libtorchAvailable() ? false : 'the libtorch addon is not built (apt-get install libtorch-dev libopenblas0-pthread; npm run build:native)');

/** Skip reason when the addon has no collectives (a failure under INBATCH_REQUIRE_NATIVE=1). */
export const needsGloo: false | string = needsTorch || requiredOrSkip(distributedAvailable() ? false : 'the addon was built without gloo headers (apt-get install libgloo-dev; npm run build:native)');

export function needsShared(...parts: string[]): false | string {
  const p = join(sharedData, ...parts);
  return existsSync(p) ? false : `${p} is absent (the shared data folder is not on this machine)`;
}

export function tempDir(prefix = 'inbatch-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export const SPECIAL = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];

export function tokenizerOf(tokens: string[]): BertTokenizer {
  const all = [...SPECIAL, ...tokens.filter((t) => !SPECIAL.includes(t))];
  return new BertTokenizer(new Map(all.map((t, i) => [t, i])));
}

export function writeVocab(dir: string, tokens: string[]): string {
  const path = join(dir, 'vocab.txt');
  writeFileSync(path, [...SPECIAL, ...tokens].join('\n') + '\n');
  return path;
}

/** A 2-layer, 32-hidden BERT for fast tests. */
export function microConfig(vocabSize: number, inbatch: Partial<InbatchSettings> = {}): ModelConfig {
  const c = presetConfig('tiny', vocabSize, { output_emb_size: 16, max_seq_length: 32, ...inbatch });
  return { ...c, hidden_size: 32, num_attention_heads: 2, intermediate_size: 64, num_hidden_layers: 2, max_position_embeddings: 64 };
}

/** Distinct single-character tokens from the CJK block, for synthetic vocabularies. */
export function cjkChars(count: number, offset = 0): string[] {
  return Array.from({ length: count }, (_, i) => String.fromCodePoint(0x4e00 + offset + i));
}

/** A random model folder written without libtorch (for inference-side tests). */
export function writeRandomModel(dir: string, config: ModelConfig, tokenizer: BertTokenizer, seed = 1): void {
  mkdirSync(dir, { recursive: true });
  const rng = new Random(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(rng.next() + 1e-12)) * Math.cos(2 * Math.PI * rng.next());
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, shape] of dualEncoderParameterShapes(config)) {
    const n = shape.reduce((a, b) => a * b, 1);
    // LayerNorm gains near 1 and biases small but non-zero, so every parameter matters in parity checks
    const data = name.endsWith('LayerNorm.weight') ? Float32Array.from({ length: n }, () => 1 + 0.1 * gauss())
      : Float32Array.from({ length: n }, () => (name.endsWith('.bias') ? 0.02 : 0.05) * gauss());
    tensors.set(name, { shape, data });
  }
  writeSafetensors(join(dir, 'model.safetensors'), tensors);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config, null, 2));
  writeTokenizerFiles(tokenizer, dir, config.inbatch.max_seq_length);
}

/** 200 mixed texts: Chinese, English, mixed, punctuation, emoji, very long, single characters. */
export function mixedTexts(chars: string[], count = 200): string[] {
  const rng = new Random(11);
  const pick = () => chars[Math.floor(rng.next() * chars.length)]!;
  const extras = ['hello', 'World!', '😀', '，', '？', 'ABC', '123', ' '];
  return Array.from({ length: count }, (_, i) => {
    const len = i % 50 === 0 ? 300 : 1 + Math.floor(rng.next() * 20);
    let s = '';
    for (let k = 0; k < len; k++) s += rng.next() < 0.15 ? extras[Math.floor(rng.next() * extras.length)] : pick();
    return s.trim() || pick();
  });
}

/** A free port on 127.0.0.1 (for a rendezvous or a server). */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
