// A corpus folder written by `inbatch index` (corpus.json "format": 2):
//   vectors.npy          float32 or float16 [size, dim] (numpy, faiss and sentence-transformers read it)
//   texts.bin/.idx       the texts by id (data/text-table); ids.bin/.idx when the corpus had ids
//   the search structure, by kind:
//     hnsw               index.hnsw + index.json (hnswlib, space ip)
//     exact              nothing more: vectors.npy is scanned (loaded into memory)
//     int8 | binary      codes.<kind>.npy + quantized.json, rescored against vectors.npy on disk
//   corpus.json          written last: kind, dim, size, the embedder's fingerprint, the build plan,
//                        and the recall contract measured on sample queries
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { TextTable } from '../data/text-table.js';
import { writeFileAtomic } from '../util/atomic.js';
import { readJsonObject } from '../util/json-file.js';
import { exactIndexOf, type ExactIndex } from '../vectors/exact.js';
import { HnswIndex, type HnswOptions } from '../vectors/hnsw.js';
import { NpyRows } from '../vectors/npy.js';
import { QuantizedIndex, type QuantizedKind, type QuantizedMeta } from '../vectors/quantized.js';
import { exactTopK, measureRecall, meetRecallTarget, pseudoQueries, type RecallContract, type SampleQueries } from '../vectors/recall-contract.js';
import type { VectorIndex } from '../vectors/vector-index.js';

export type StoreKind = 'hnsw' | 'exact' | QuantizedKind;
export const STORE_KINDS: readonly StoreKind[] = ['hnsw', 'exact', 'int8', 'binary'];

export interface CorpusManifest {
  format: 2;
  kind: StoreKind;
  /** the float vectors file's type */
  vectors: 'float32' | 'float16';
  dim: number;
  size: number;
  ids: boolean;
  embedder: object;
  plan: object;
  contract: RecallContract | null;
  hnsw?: HnswOptions;
  oversample?: number;
  /** bytes the search structure holds in memory per text */
  memory_bytes_per_text: number;
  build_seconds?: number;
}

export interface IndexBuildOptions {
  hnsw: HnswOptions;
  oversample: number;
  /** raise ef (hnsw) or oversample (int8, binary) until the recall of the exact top 10 reaches this */
  recallTarget?: number;
  /** sample queries for the contract (default: corpus vectors as pseudo-queries) */
  queries?: SampleQueries;
  contractQueries: number;
  quiet?: boolean;
}

export const CONTRACT_K = 10;

export class RecallTargetMissed extends Error {}

/** Builds the search structure of a folder holding vectors.npy, measuring its recall contract. */
export async function buildSearchIndex(dir: string, kind: StoreKind, o: IndexBuildOptions): Promise<{ index: VectorIndex; contract: RecallContract; setting: number; bytesPerText: number }> {
  const floats = new NpyRows(join(dir, 'vectors.npy'));
  const queries = o.queries ?? pseudoQueries(floats, o.contractQueries);
  const truth = exactTopK(floats, queries, CONTRACT_K);
  const k = CONTRACT_K + 1;
  let index: VectorIndex, settings: number[], apply: (s: number) => void, bytesPerText: number, name: string;
  if (kind === 'hnsw') {
    const hnsw = new HnswIndex(floats.cols, floats.rows, { ...o.hnsw });
    for (let r = 0; r < floats.rows; r += 8192) {
      const n = Math.min(8192, floats.rows - r), data = floats.read(r, n);
      hnsw.add(Array.from({ length: n }, (_, i) => data.subarray(i * floats.cols, (i + 1) * floats.cols)));
    }
    floats.close();
    index = hnsw;
    name = 'ef';
    settings = o.recallTarget ? [o.hnsw.ef, 2, 4, 8, 16].map((m, i) => (i ? o.hnsw.ef * m : m)).filter((ef) => ef <= 4000) : [o.hnsw.ef];
    apply = (ef) => hnsw.setEf(ef);
    // hnswlib's layout: the vector, level-0 links (2M ids and a count), the label, the level and its pointer
    bytesPerText = floats.cols * 4 + (o.hnsw.m * 2 * 4 + 4) + 8 + 4 + 8;
  } else if (kind === 'exact') {
    index = exactIndexOf(floats);
    floats.close();
    name = 'exact';
    settings = [0];
    apply = () => undefined;
    bytesPerText = floats.cols * 4;
  } else {
    const q = QuantizedIndex.build(kind, floats);
    index = q;
    name = 'oversample';
    settings = o.recallTarget ? [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024] : [o.oversample];
    apply = (s) => { q.oversample = s; };
    bytesPerText = q.bytesPerText;
  }
  const reached = await meetRecallTarget(settings, o.recallTarget ?? 0, (s) => {
    apply(s);
    return measureRecall(truth, index.search(queries.vectors, k), queries, CONTRACT_K);
  });
  const contract: RecallContract = { ...reached.result, source: queries.source, setting: kind === 'exact' ? {} : { [name]: reached.setting } };
  if (o.recallTarget && !reached.met) {
    throw new RecallTargetMissed(`the ${kind} index reaches a recall of ${reached.result.recall.toFixed(4)} of the exact top ${CONTRACT_K} at best (${reached.tried.map(([s, r]) => `${name} ${s}: ${r.toFixed(4)}`).join(', ')}), under --recall-target ${o.recallTarget}: ` +
      (kind === 'binary' ? 'try --vectors int8, or a lower target' : kind === 'int8' ? 'try --vectors float32, or a lower target' : 'raise --hnsw-m, or use --exact'));
  }
  return { index, contract, setting: reached.setting, bytesPerText };
}

export function saveSearchIndex(dir: string, index: VectorIndex): void {
  if (index.kind !== 'exact') index.save(dir);
}

export function writeManifest(dir: string, manifest: CorpusManifest): void {
  writeFileAtomic(join(dir, 'corpus.json'), JSON.stringify(manifest, null, 1));
}

export function isCorpusFolder(dir: string): boolean {
  if (!existsSync(join(dir, 'corpus.json'))) return false;
  return (readJsonObject(join(dir, 'corpus.json')) as { format?: unknown }).format === 2;
}

export interface OpenedCorpus {
  manifest: CorpusManifest;
  index: VectorIndex;
  texts: TextTable;
  ids?: TextTable;
  /** the float vectors (rescoring reads them; verify samples them) */
  floats: NpyRows;
  close(): void;
}

/** Opens a folder written by `inbatch index`, checking that its parts agree. */
export function openCorpusFolder(dir: string): OpenedCorpus {
  const path = join(dir, 'corpus.json');
  const manifest = readJsonObject(path) as unknown as CorpusManifest;
  if (manifest.format !== 2) throw new Error(`${path}: not written by inbatch index`);
  if (!STORE_KINDS.includes(manifest.kind)) throw new Error(`${path}: unknown kind ${JSON.stringify(manifest.kind)}`);
  if (!Number.isSafeInteger(manifest.size) || !Number.isSafeInteger(manifest.dim)) throw new Error(`${path}: size and dim must be integers`);
  const floats = new NpyRows(join(dir, 'vectors.npy'));
  const texts = new TextTable(join(dir, 'texts'));
  const ids = manifest.ids ? new TextTable(join(dir, 'ids')) : undefined;
  const closeAll = () => { floats.close(); texts.close(); ids?.close(); };
  try {
    if (floats.rows !== manifest.size || floats.cols !== manifest.dim) throw new Error(`${dir}/vectors.npy holds ${floats.rows}x${floats.cols}, corpus.json says ${manifest.size}x${manifest.dim}`);
    if (texts.size !== manifest.size) throw new Error(`${dir}/texts: ${texts.size} texts, corpus.json says ${manifest.size}`);
    if (ids && ids.size !== manifest.size) throw new Error(`${dir}/ids: ${ids.size} ids, corpus.json says ${manifest.size}`);
    let index: VectorIndex;
    if (manifest.kind === 'hnsw') index = HnswIndex.load(dir);
    else if (manifest.kind === 'exact') index = exactIndexOf(floats) as ExactIndex;
    else {
      const q = readJsonObject(join(dir, 'quantized.json')) as unknown as QuantizedMeta;
      index = QuantizedIndex.load(dir, manifest.kind, q, floats);
    }
    if (index.size !== manifest.size || index.dim !== manifest.dim) throw new Error(`${dir}: the ${manifest.kind} index holds ${index.size}x${index.dim}, corpus.json says ${manifest.size}x${manifest.dim}`);
    return { manifest, index, texts, ids, floats, close: closeAll };
  } catch (e) {
    closeAll();
    throw e;
  }
}
