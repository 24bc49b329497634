// Where a model folder keeps its weights, and reading them whatever the layout:
//   model.safetensors                                  one file
//   model.safetensors.index.json + model-0000N-of-M   sharded (Hugging Face's save_pretrained for big models)
//   pytorch_model.bin                                  torch.save's zip, read without running its pickle
// Every tensor of a sharded checkpoint must be in the shard the index names, and in no other.
import { existsSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { readSafetensors, type NamedArray } from './safetensors.js';
import { readTorchCheckpoint } from './torch-checkpoint.js';
import { readJsonObject } from '../util/json-file.js';

export const SAFETENSORS = 'model.safetensors';
export const SAFETENSORS_INDEX = 'model.safetensors.index.json';
export const TORCH_BIN = 'pytorch_model.bin';
const MAX_INDEX_BYTES = 64 << 20;

/** The file that identifies a folder's weights (for fingerprints), or undefined when it has none inbatch reads. */
export function weightFileOf(dir: string): string | undefined {
  for (const name of [SAFETENSORS, SAFETENSORS_INDEX, TORCH_BIN]) if (existsSync(join(dir, name))) return join(dir, name);
  return undefined;
}

export function readWeightFiles(dir: string): { tensors: Map<string, NamedArray>; source: string } {
  const single = join(dir, SAFETENSORS);
  if (existsSync(single)) return { tensors: readSafetensors(single).tensors, source: single };
  const index = join(dir, SAFETENSORS_INDEX);
  if (existsSync(index)) return { tensors: readShardedSafetensors(index), source: index };
  const bin = join(dir, TORCH_BIN);
  if (existsSync(bin)) return { tensors: readTorchCheckpoint(bin), source: bin };
  throw new Error(`${dir}: no ${SAFETENSORS}, ${SAFETENSORS_INDEX} or ${TORCH_BIN}`);
}

export function readShardedSafetensors(indexPath: string): Map<string, NamedArray> {
  if (statSync(indexPath).size > MAX_INDEX_BYTES) throw new Error(`${indexPath}: larger than ${MAX_INDEX_BYTES >> 20} MB, not an index`);
  const raw = readJsonObject(indexPath);
  const map = (raw as { weight_map?: unknown } | null)?.weight_map;
  if (typeof map !== 'object' || map === null || Array.isArray(map)) throw new Error(`${indexPath}: no "weight_map" object`);
  const byShard = new Map<string, string[]>();
  for (const [name, shard] of Object.entries(map)) {
    // a shard is a plain file name beside the index: never a path that leaves the folder
    if (typeof shard !== 'string' || shard !== basename(shard) || shard === '..' || !shard.endsWith('.safetensors')) {
      throw new Error(`${indexPath}: weight_map gives ${JSON.stringify(name)} the shard ${JSON.stringify(shard)}; shards are .safetensors file names in the same folder`);
    }
    byShard.set(shard, [...(byShard.get(shard) ?? []), name]);
  }
  if (!byShard.size) throw new Error(`${indexPath}: weight_map is empty`);
  const dir = join(indexPath, '..');
  const tensors = new Map<string, NamedArray>();
  for (const [shard, names] of byShard) {
    const path = join(dir, shard);
    if (!existsSync(path)) throw new Error(`${indexPath}: shard ${shard} is missing`);
    const inShard = readSafetensors(path).tensors;
    for (const [name, t] of inShard) {
      const expected = (map as Record<string, string>)[name];
      if (expected !== shard) throw new Error(`${path}: holds ${name}, which ${expected === undefined ? 'the index does not list' : `the index puts in ${expected}`}`);
      tensors.set(name, t);
    }
    for (const name of names) if (!inShard.has(name)) throw new Error(`${indexPath}: ${name} should be in ${shard}, which lacks it`);
  }
  return tensors;
}
