// What identifies a model: the sha256 of its weight files' bytes (with its inbatch settings), so a
// byte-identical copy (cp -r, rsync, a Docker layer) is the same model wherever it lives, and a
// retrained one is another. Used to decide whether stored corpus embeddings still belong to a model.
//
//   weights_sha256 = sha256( for each weight file, in order: name \0 byte length \0 bytes )
//
// Hashing reads every weight byte, so it is done when a model is saved and stored beside it in
// WEIGHTS_DIGEST_FILE with each file's size and mtime; a reader trusts the stored digest only while
// those still match, and otherwise hashes again (a copy gets new mtimes and the same digest).
import { existsSync, statSync } from 'node:fs';
import { hashFiles } from '../util/file-hash.js';
import { basename, join } from 'node:path';
import { SAFETENSORS, SAFETENSORS_INDEX, TORCH_BIN, weightFileOf } from '../weights/weight-files.js';
import type { ModelConfig } from './config.js';
import { readJsonObject } from '../util/json-file.js';
import { writeFileAtomic } from '../util/atomic.js';

export { hashFiles };

export interface ModelFingerprint {
  weights_sha256: string;
  inbatch: ModelConfig['inbatch'];
}

/** Beside the weights: their digest, and the size and mtime of each file it was computed from. */
export const WEIGHTS_DIGEST_FILE = 'weights_sha256.json';
const PADDLE_WEIGHTS = 'model_state.pdparams';
const MAX_DIGEST_FILE_BYTES = 1 << 20;

interface StoredDigest {
  sha256: string;
  files: { name: string; bytes: number; mtime_ms: number }[];
}

/** The weight files of a folder, in the order they are hashed (the index first, then its shards by name). */
export function weightFilesOf(dir: string): string[] {
  const main = weightFileOf(dir) ?? (existsSync(join(dir, PADDLE_WEIGHTS)) ? join(dir, PADDLE_WEIGHTS) : undefined);
  if (!main) throw new Error(`${dir}: no weights (${SAFETENSORS}, ${SAFETENSORS_INDEX}, ${TORCH_BIN} or ${PADDLE_WEIGHTS})`);
  if (basename(main) !== SAFETENSORS_INDEX) return [main];
  const map = (readJsonObject(main) as { weight_map?: Record<string, unknown> }).weight_map ?? {};
  const shards = [...new Set(Object.values(map).filter((s): s is string => typeof s === 'string' && s === basename(s)))].sort();
  return [main, ...shards.map((s) => join(dir, s))];
}

function describe(files: string[]): StoredDigest['files'] {
  return files.map((f) => { const s = statSync(f); return { name: basename(f), bytes: s.size, mtime_ms: s.mtimeMs }; });
}

/** Hashes a folder's weights and stores the digest beside them (at save time). */
export function writeWeightsDigest(dir: string): string {
  const files = weightFilesOf(dir);
  const sha256 = hashFiles(files);
  writeFileAtomic(join(dir, WEIGHTS_DIGEST_FILE), JSON.stringify({ sha256, files: describe(files) } satisfies StoredDigest, null, 2) + '\n');
  return sha256;
}

/** The digest of a folder's weights: the stored one while every file is as it was stored, else computed now. */
export function weightsDigest(dir: string): string {
  const files = weightFilesOf(dir);
  const stored = storedDigest(join(dir, WEIGHTS_DIGEST_FILE));
  if (stored && JSON.stringify(stored.files) === JSON.stringify(describe(files))) return stored.sha256;
  return hashFiles(files);
}

function storedDigest(path: string): StoredDigest | undefined {
  if (!existsSync(path) || statSync(path).size > MAX_DIGEST_FILE_BYTES) return undefined;
  try {
    const raw = readJsonObject(path) as Partial<StoredDigest>;
    if (typeof raw.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(raw.sha256) || !Array.isArray(raw.files)) return undefined;
    return raw as StoredDigest;
  } catch {
    return undefined; // unreadable: hash the weights again
  }
}

export function modelFingerprint(dir: string, config: ModelConfig): ModelFingerprint {
  return { weights_sha256: weightsDigest(dir), inbatch: config.inbatch };
}

/** Written into an export: the fingerprint of the model folder it was made from. */
export const EXPORT_SOURCE_FILE = 'inbatch_source.json';

/** The weights digest an export records of its model, or undefined (not an inbatch export). */
export function exportedWeightsSha(exportDir: string): string | undefined {
  const source = join(exportDir, EXPORT_SOURCE_FILE);
  if (!existsSync(source)) return undefined;
  const sha = (readJsonObject(source) as { weights_sha256?: unknown }).weights_sha256;
  return typeof sha === 'string' ? sha : undefined;
}

/**
 * What made an ONNX folder's vectors: for an inbatch export, the model it was exported from (so an
 * index built through the model folder or through its export is the same model's); for any other
 * folder, the sha256 of its graph.
 */
export function onnxFolderFingerprint(dir: string, onnxFile: string, settings: object): object {
  const source = join(dir, EXPORT_SOURCE_FILE);
  if (existsSync(source)) return readJsonObject(source);
  return { onnx_sha256: hashFiles([onnxFile]), ...settings };
}

// An index's vectors only mean something to the model that made them: index and recall record that
// model's fingerprint in corpus.json, export records it in EXPORT_SOURCE_FILE, and serve compares the two.
/** Why the index does not belong to the exported model, or undefined when it does (or one side is unknown). */
export function indexModelMismatch(indexDir: string, indexEmbedder: object | null, exportDir: string): string | undefined {
  const sourcePath = join(exportDir, EXPORT_SOURCE_FILE);
  if (!indexEmbedder || !existsSync(sourcePath)) return undefined;
  const source = readJsonObject(sourcePath);
  const built = indexEmbedder as Record<string, unknown>;
  if (JSON.stringify(built) === JSON.stringify(source)) return undefined;
  const short = (v: unknown) => (typeof v === 'string' ? v.slice(0, 12) : 'unknown (an older inbatch fingerprinted by path and mtime)');
  const differs = ['weights_sha256', 'inbatch', 'prefixes', 'dimensions'].filter((k) => JSON.stringify(built[k]) !== JSON.stringify(source[k]));
  return `${indexDir} was built by the model with weights sha256 ${short(built.weights_sha256)}, but ${exportDir} was exported from weights sha256 ${short(source.weights_sha256)} ` +
    `(${differs.join(', ')} differ): its vectors would be compared with another model's; rebuild the index with inbatch index or recall, or pass --allow-index-mismatch`;
}
