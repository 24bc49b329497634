// Training rows read from prepared shards with positioned reads: a pool's keys or a batch's tokens
// at a time; nothing per row is held in memory.
import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import type { RowKeys, TrainingSource } from '../training-source.js';
import { FORMAT, FORMAT_VERSION, MANIFEST, recordSize, type Manifest } from './format.js';
import { readJsonObject } from '../../util/json-file.js';

interface Shard { name: string; firstRow: number; rows: number; columns: number; tokens: number; recordSize: number; rowsFd: number; tokensFd: number }

export class PreparedData implements TrainingSource {
  readonly rows: number;
  readonly columns: number;
  readonly fingerprint: string;
  private readonly shards: Shard[] = [];
  private readonly tokenBytes: number;
  /** token ids must be below this (the model's vocabulary), checked row by row */
  private vocabSize = Infinity;

  private constructor(readonly dir: string, readonly manifest: Manifest) {
    this.rows = manifest.rows;
    this.columns = manifest.columns;
    this.fingerprint = manifest.fingerprint;
    this.tokenBytes = manifest.token_type === 'uint16' ? 2 : 4;
    let firstRow = 0;
    for (const s of manifest.shards) {
      const rowsFd = openSync(join(dir, `${s.name}.rows`), 'r');
      const tokensFd = openSync(join(dir, `${s.name}.tokens`), 'r');
      const columns = s.columns;
      const shard = { name: s.name, firstRow, rows: s.rows, columns, tokens: s.tokens, recordSize: recordSize(columns), rowsFd, tokensFd };
      if (fstatSync(rowsFd).size !== s.rows * shard.recordSize || fstatSync(tokensFd).size !== s.tokens * this.tokenBytes) {
        this.close();
        throw new Error(`${dir}: ${s.name} does not match the manifest (an interrupted or altered prepare); run inbatch prepare again`);
      }
      this.shards.push(shard);
      firstRow += s.rows;
    }
    if (firstRow !== this.rows) throw new Error(`${dir}/${MANIFEST}: shards hold ${firstRow} rows, the manifest says ${this.rows}`);
  }

  /** A folder prepare wrote: its manifest.json says so (a folder that merely holds a manifest.json is not one). */
  static isPrepared(dir: string): boolean {
    if (!existsSync(join(dir, MANIFEST))) return false;
    try {
      return readJsonObject(join(dir, MANIFEST)).format === FORMAT;
    } catch {
      return false;
    }
  }

  static open(dir: string): PreparedData {
    const path = join(dir, MANIFEST);
    if (!existsSync(path)) throw new Error(`${path}: missing: not a prepared folder (inbatch prepare)`);
    const manifest = readJsonObject(path) as unknown as Manifest;
    if (manifest.format !== FORMAT || manifest.version !== FORMAT_VERSION) throw new Error(`${path}: not an ${FORMAT} v${FORMAT_VERSION} manifest`);
    checkManifest(manifest, path);
    return new PreparedData(dir, manifest);
  }

  /** Refuses data prepared with another tokenizer or max_seq_length than the model's; ids are checked against vocabSize as rows are read. */
  checkCompatible(tokenizerFingerprint: string, maxSeqLength: number, vocabSize?: number): void {
    if (vocabSize !== undefined) this.vocabSize = vocabSize;
    if (this.manifest.tokenizer !== tokenizerFingerprint) throw new Error(`${this.dir} was prepared with another tokenizer (${this.manifest.tokenizer}) than the model's (${tokenizerFingerprint}); prepare it again with --model`);
    if (this.manifest.max_seq_length !== maxSeqLength) throw new Error(`${this.dir} was prepared with max_seq_length ${this.manifest.max_seq_length}, the model uses ${maxSeqLength}; prepare it again with --max-seq-length ${maxSeqLength}`);
  }

  private shardOf(row: number): Shard {
    let lo = 0, hi = this.shards.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.shards[mid]!.firstRow <= row) lo = mid; else hi = mid - 1;
    }
    return this.shards[lo]!;
  }

  /** The record of a row: hashes, token counts per column, and where its tokens start. */
  private record(row: number, into: Buffer): { shard: Shard; view: Buffer } {
    if (!Number.isInteger(row) || row < 0 || row >= this.rows) throw new RangeError(`row ${row} out of range (0..${this.rows - 1})`);
    const shard = this.shardOf(row);
    const view = into.subarray(0, shard.recordSize);
    readSync(shard.rowsFd, view, 0, shard.recordSize, (row - shard.firstRow) * shard.recordSize);
    return { shard, view };
  }

  keysOf(rowIds: Uint32Array): RowKeys {
    const C = this.columns;
    const hashes = new Float64Array(rowIds.length * C);
    const lengths = new Uint16Array(rowIds.length);
    const buf = Buffer.alloc(recordSize(C));
    rowIds.forEach((row, i) => {
      const { shard, view } = this.record(row, buf);
      let longest = 0;
      for (let c = 0; c < shard.columns; c++) {
        hashes[i * C + c] = view.readDoubleLE(8 * c);
        longest = Math.max(longest, view.readUInt16LE(8 * shard.columns + 2 * c));
      }
      lengths[i] = longest;
    });
    return { hashes, lengths };
  }

  tokensOf(rowIds: Uint32Array): Uint32Array[][] {
    const C = this.columns;
    const buf = Buffer.alloc(recordSize(C));
    return Array.from(rowIds, (row) => {
      const { shard, view } = this.record(row, buf);
      const counts = Array.from({ length: C }, (_, c) => (c < shard.columns ? view.readUInt16LE(8 * shard.columns + 2 * c) : 0));
      const start = view.readDoubleLE(shard.recordSize - 8);
      const total = counts.reduce((a, b) => a + b, 0);
      // a row's record is trusted no further than the files: counts, offset and ids are checked here
      const where = () => `${join(this.dir, shard.name)} row ${row - shard.firstRow}`;
      if (counts.some((n) => n > this.manifest.max_seq_length)) throw new Error(`${where()}: a text of ${Math.max(...counts)} tokens, more than max_seq_length ${this.manifest.max_seq_length}`);
      if (!Number.isSafeInteger(start) || start < 0 || start + total > shard.tokens) throw new Error(`${where()}: tokens at ${start}..${start + total} beyond the shard's ${shard.tokens}`);
      const bytes = Buffer.alloc(total * this.tokenBytes);
      readSync(shard.tokensFd, bytes, 0, bytes.length, start * this.tokenBytes);
      const all = this.tokenBytes === 2 ? Uint32Array.from(new Uint16Array(bytes.buffer, bytes.byteOffset, total)) : new Uint32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
      for (let i = 0; i < all.length; i++) if (all[i]! >= this.vocabSize) throw new Error(`${where()}: token id ${all[i]} is outside the model's vocabulary of ${this.vocabSize}`);
      let at = 0;
      return counts.map((n) => { const ids = all.subarray(at, at + n); at += n; return ids; });
    });
  }

  close(): void {
    for (const s of this.shards) { closeSync(s.rowsFd); closeSync(s.tokensFd); }
    this.shards.length = 0;
  }
}

/** The manifest of a folder from outside: every field a reader relies on, checked by name. */
function checkManifest(m: Manifest, path: string): void {
  const bad = (what: string) => new Error(`${path}: ${what}`);
  const count = (v: unknown, min: number) => Number.isSafeInteger(v) && (v as number) >= min;
  if (!count(m.rows, 1)) throw bad(`"rows" must be a positive integer (got ${JSON.stringify(m.rows)}): a prepared folder without rows trains nothing`);
  if (!count(m.columns, 2) || m.columns > 16) throw bad(`"columns" must be an integer in [2, 16], got ${JSON.stringify(m.columns)}`);
  if (m.token_type !== 'uint16' && m.token_type !== 'uint32') throw bad(`"token_type" must be uint16 or uint32, got ${JSON.stringify(m.token_type)}`);
  if (!count(m.max_seq_length, 2)) throw bad(`"max_seq_length" must be an integer >= 2, got ${JSON.stringify(m.max_seq_length)}`);
  if (!Array.isArray(m.shards) || !m.shards.length) throw bad(`"shards" must be a non-empty list, got ${JSON.stringify(m.shards)}`);
  for (const s of m.shards as unknown[]) {
    const shard = s as Manifest['shards'][number] | null;
    // a shard is a plain file name in the folder: never a path that leaves it
    if (typeof shard !== 'object' || shard === null || typeof shard.name !== 'string' || !/^[A-Za-z0-9_-][A-Za-z0-9_.-]*$/.test(shard.name) || shard.name.includes('..')) {
      throw bad(`a shard named ${JSON.stringify((shard as { name?: unknown } | null)?.name)}: shard names are plain file names in the folder`);
    }
    if (!count(shard.rows, 0) || !count(shard.tokens, 0) || !count(shard.columns, 2) || shard.columns > m.columns) throw bad(`shard ${shard.name}: rows, tokens and columns must be integers (columns at most ${m.columns})`);
  }
}
