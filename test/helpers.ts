import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { libtorchAvailable } from '../src/torch/index.js';
import { BertTokenizer } from '../src/text/bert-tokenizer.js';
import { presetConfig, type InbatchSettings, type ModelConfig } from '../src/model/config.js';

export const repoRoot = resolve(fileURLToPath(import.meta.url), '../../..');
export const sharedData = resolve(repoRoot, '../shared/data');

/** node:test skip option: a reason string when libtorch is missing. */
export const needsTorch = libtorchAvailable() ? false : 'libtorch addon not built (apt-get install libtorch-dev libopenblas0-pthread; npm run build:native)';

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
