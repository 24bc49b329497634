// inbatch prepare: pair files (plain or .gz, many) -> token shards, streamed with bounded memory.
// Lines are read and checked here, tokenised on worker threads in chunks, and written in order:
// each chunk's tokens at once, its rows' records when its shard is closed. The whole folder is
// written under a temporary name and renamed when complete, so a killed prepare leaves nothing
// that looks finished.
import { closeSync, openSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { BertTokenizer } from '../../text/bert-tokenizer.js';
import { writeDirAtomicAsync } from '../../util/atomic.js';
import { Progress } from '../../util/progress.js';
import { DataFileError } from '../errors.js';
import { expandInputs, fileLines } from '../input-files.js';
import { pairColumns } from '../pairs.js';
import { RowFingerprint } from '../training-source.js';
import { encodeRows, type EncodedRows } from './encode-rows.js';
import { FORMAT, FORMAT_VERSION, MANIFEST, recordSize, shardName, type Manifest, type SourceFile } from './format.js';

export interface PrepareOptions {
  maxSeqLength: number;
  /** tokenising threads (0: the main thread) */
  workers: number;
  skipBadLines: boolean;
  /** rows per shard: the writer's memory is about 40 bytes per row of one shard */
  shardRows: number;
  /** query, positive and up to maxColumns - 2 hard negatives */
  maxColumns: number;
  quiet?: boolean;
}

export const DEFAULT_PREPARE: PrepareOptions = { maxSeqLength: 128, workers: 2, skipBadLines: false, shardRows: 1_000_000, maxColumns: 16 };

const CHUNK_ROWS = 2048;

/** Tokenises chunks on worker threads (or inline), answering in submission order. */
class Encoders {
  private readonly workers: Worker[] = [];
  private readonly waiting = new Map<number, { resolve: (r: EncodedRows) => void; reject: (e: unknown) => void }>();
  private nextId = 0;

  constructor(private readonly tokenizer: BertTokenizer, private readonly maxSeqLength: number, count: number) {
    for (let i = 0; i < count; i++) {
      const worker = new Worker(new URL('./tokenize-worker.js', import.meta.url), {
        workerData: { vocab: tokenizer.idToToken, options: tokenizer.options, maxSeqLength },
      });
      worker.on('message', ({ id, out }: { id: number; out: EncodedRows }) => { this.waiting.get(id)?.resolve(out); this.waiting.delete(id); });
      worker.on('error', (e) => { for (const w of this.waiting.values()) w.reject(e); this.waiting.clear(); });
      this.workers.push(worker);
    }
  }

  encode(rows: string[][]): Promise<EncodedRows> {
    if (!this.workers.length) return Promise.resolve(encodeRows(rows, this.tokenizer, this.maxSeqLength));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.workers[id % this.workers.length]!.postMessage({ id, rows });
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/** Writes shards into a folder: tokens as chunks arrive, records when a shard closes. */
class ShardWriter {
  readonly shards: Manifest['shards'] = [];
  readonly fingerprint = new RowFingerprint();
  rows = 0;
  tokens = 0;
  columns = 2;
  private chunks: EncodedRows[] = [];
  private shardRows = 0;
  private shardTokens = 0;
  private tokensFd: number | undefined;

  constructor(private readonly dir: string, private readonly tokenBytes: 2 | 4, private readonly maxShardRows: number) {}

  add(chunk: EncodedRows): void {
    for (let start = 0; start < chunk.rows;) {
      const take = Math.min(chunk.rows - start, this.maxShardRows - this.shardRows);
      const part = start === 0 && take === chunk.rows ? chunk : slice(chunk, start, take);
      this.tokensFd ??= openSync(join(this.dir, `${shardName(this.shards.length)}.tokens`), 'w');
      const ids = this.tokenBytes === 2 ? Uint16Array.from(part.tokens) : part.tokens;
      writeSync(this.tokensFd, new Uint8Array(ids.buffer, ids.byteOffset, ids.byteLength));
      this.fingerprint.add(part.hashes, part.colLengths, part.columns, part.rows);
      this.chunks.push(part);
      this.shardRows += part.rows;
      this.shardTokens += part.tokens.length;
      start += take;
      if (this.shardRows === this.maxShardRows) this.closeShard();
    }
  }

  closeShard(): void {
    if (!this.shardRows) return;
    const name = shardName(this.shards.length);
    const columns = Math.max(...this.chunks.map((c) => c.columns));
    const size = recordSize(columns);
    const records = Buffer.alloc(this.shardRows * size);
    let row = 0, tokenStart = 0;
    for (const chunk of this.chunks) {
      for (let r = 0; r < chunk.rows; r++, row++) {
        const at = row * size;
        let n = 0;
        for (let c = 0; c < chunk.columns; c++) {
          const len = chunk.colLengths[r * chunk.columns + c]!;
          records.writeDoubleLE(chunk.hashes[r * chunk.columns + c]!, at + 8 * c);
          records.writeUInt16LE(len, at + 8 * columns + 2 * c);
          n += len;
        }
        records.writeDoubleLE(tokenStart, at + size - 8);
        tokenStart += n;
      }
    }
    writeFileSync(join(this.dir, `${name}.rows`), records);
    closeSync(this.tokensFd!);
    this.tokensFd = undefined;
    this.shards.push({ name, rows: this.shardRows, columns, tokens: this.shardTokens });
    this.rows += this.shardRows;
    this.tokens += this.shardTokens;
    this.columns = Math.max(this.columns, columns);
    this.chunks = [];
    this.shardRows = 0;
    this.shardTokens = 0;
  }

  abandon(): void {
    if (this.tokensFd !== undefined) closeSync(this.tokensFd);
  }
}

function slice(c: EncodedRows, start: number, rows: number): EncodedRows {
  const C = c.columns;
  let from = 0;
  for (let i = 0; i < start * C; i++) from += c.colLengths[i]!;
  let count = 0;
  for (let i = start * C; i < (start + rows) * C; i++) count += c.colLengths[i]!;
  return {
    rows, columns: C, tokens: c.tokens.slice(from, from + count),
    colLengths: c.colLengths.slice(start * C, (start + rows) * C), hashes: c.hashes.slice(start * C, (start + rows) * C),
  };
}

export async function prepareShards(inputs: string[], tokenizer: BertTokenizer, output: string, options: Partial<PrepareOptions> = {}): Promise<Manifest> {
  const o = { ...DEFAULT_PREPARE, ...options };
  const files = expandInputs(inputs);
  const encoders = new Encoders(tokenizer, o.maxSeqLength, o.workers);
  try {
    let manifest: Manifest | undefined;
    await writeDirAtomicAsync(output, async (tmp) => { manifest = await writeShards(files, tmp, tokenizer, encoders, o); });
    return manifest!;
  } finally {
    await encoders.close();
  }
}

async function writeShards(files: string[], tmp: string, tokenizer: BertTokenizer, encoders: Encoders, o: PrepareOptions): Promise<Manifest> {
  const totalBytes = files.reduce((n, f) => n + statSync(f).size, 0);
  const writer = new ShardWriter(tmp, tokenizer.vocabSize <= 65536 ? 2 : 4, o.shardRows);
  const progress = new Progress('prepare', totalBytes, 'B', o.quiet);
  const read = { bytes: 0 };
  const badLines: string[] = [];
  let badCount = 0, lines = 0;
  const inFlight: Promise<EncodedRows>[] = [];
  const sources: SourceFile[] = [];
  try {
    let chunk: string[][] = [];
    const submit = async () => {
      inFlight.push(encoders.encode(chunk));
      chunk = [];
      while (inFlight.length > Math.max(2, 2 * o.workers)) writer.add(await inFlight.shift()!);
    };
    for (const file of files) {
      const stat = statSync(file);
      let lineNo = 0;
      for await (const line of fileLines(file, read)) {
        lineNo++;
        if (line !== null && line.trim() === '') continue;
        const cols = line === null ? 'invalid UTF-8' : pairColumns(line, o.maxColumns);
        if (typeof cols === 'string') {
          const err = new DataFileError(file, lineNo, cols);
          if (!o.skipBadLines) throw err;
          if (badLines.length < 100) badLines.push(err.message);
          badCount++;
          continue;
        }
        chunk.push(cols);
        if (chunk.length === CHUNK_ROWS) {
          await submit();
          progress.update(read.bytes, { 'lines/s': (lines + lineNo) / Math.max(1e-3, process.uptime()) });
        }
      }
      lines += lineNo;
      sources.push({ path: file, size: stat.size, mtime: stat.mtimeMs, lines: lineNo });
    }
    if (chunk.length) await submit();
    while (inFlight.length) writer.add(await inFlight.shift()!);
    writer.closeShard();
    if (writer.rows < 2) throw new Error(`${files.join(' ')}: need at least 2 pairs, found ${writer.rows}`);
    const manifest: Manifest = {
      format: FORMAT, version: FORMAT_VERSION, rows: writer.rows, columns: writer.columns, token_type: tokenizer.vocabSize <= 65536 ? 'uint16' : 'uint32',
      tokens: writer.tokens, max_seq_length: o.maxSeqLength, tokenizer: tokenizer.fingerprint, fingerprint: writer.fingerprint.digest(writer.rows),
      sources, bad_lines: { count: badCount, first: badLines }, shards: writer.shards,
    };
    writeFileSync(join(tmp, MANIFEST), JSON.stringify(manifest, null, 2) + '\n');
    progress.done(totalBytes, { rows: writer.rows });
    return manifest;
  } catch (e) {
    writer.abandon();
    throw e;
  }
}
