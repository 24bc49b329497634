// A file-backed table of texts read by id, so a corpus of any size is never one JS string per text:
//   NAME.bin  the UTF-8 bytes of every text, one after another
//   NAME.idx  "IBTXT\0\0\1", u64 count, then count + 1 u64 offsets into NAME.bin (LE)
// Text i is bytes [offset[i], offset[i+1]). Both files are written atomically; .idx last, so an
// .idx always describes a complete .bin.
import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import { openTempFile, type TempFile } from '../util/atomic.js';

const MAGIC = Buffer.from('IBTXT\0\0\x01', 'latin1');
const BUFFER_BYTES = 1 << 20;

export const textTableFiles = (base: string) => ({ bin: `${base}.bin`, idx: `${base}.idx` });

export class TextTableWriter {
  private readonly bin: TempFile;
  private readonly idx: TempFile;
  private offset = 0n;
  private count = 0;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private offsets = new BigUint64Array(8192);
  private offsetsUsed = 0;

  constructor(readonly base: string) {
    const f = textTableFiles(base);
    this.bin = openTempFile(f.bin);
    this.idx = openTempFile(f.idx);
    writeSync(this.idx.fd, Buffer.alloc(16)); // header, filled in by close()
    this.pushOffset(0n);
  }

  get size(): number { return this.count; }

  append(text: string): void {
    const bytes = Buffer.from(text, 'utf8');
    this.appendBytes(bytes);
  }

  /** A text already encoded as UTF-8. */
  appendBytes(bytes: Uint8Array): void {
    this.pending.push(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    this.pendingBytes += bytes.length;
    this.offset += BigInt(bytes.length);
    this.count++;
    this.pushOffset(this.offset);
    if (this.pendingBytes >= BUFFER_BYTES) this.flushTexts();
  }

  private pushOffset(o: bigint): void {
    this.offsets[this.offsetsUsed++] = o;
    if (this.offsetsUsed === this.offsets.length) this.flushOffsets();
  }

  private flushTexts(): void {
    if (this.pending.length) writeSync(this.bin.fd, Buffer.concat(this.pending, this.pendingBytes));
    this.pending = [];
    this.pendingBytes = 0;
  }

  private flushOffsets(): void {
    writeSync(this.idx.fd, new Uint8Array(this.offsets.buffer, 0, this.offsetsUsed * 8));
    this.offsetsUsed = 0;
  }

  abandon(): void {
    this.bin.abort();
    this.idx.abort();
  }

  close(): void {
    this.flushTexts();
    this.flushOffsets();
    const header = Buffer.alloc(16);
    MAGIC.copy(header, 0);
    header.writeBigUInt64LE(BigInt(this.count), 8);
    writeSync(this.idx.fd, header, 0, 16, 0);
    this.bin.commit();
    this.idx.commit();
  }
}

/** Reads texts by id with positioned reads: memory does not grow with the table. */
export class TextTable {
  readonly size: number;
  private readonly binFd: number;
  private readonly idxFd: number;
  private readonly binBytes: number;
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });

  constructor(readonly base: string) {
    const f = textTableFiles(base);
    this.idxFd = openSync(f.idx, 'r');
    this.binFd = openSync(f.bin, 'r');
    try {
      const header = Buffer.alloc(16);
      readSync(this.idxFd, header, 0, 16, 0);
      if (!header.subarray(0, 8).equals(MAGIC)) throw new Error(`${f.idx}: not an inbatch text table index`);
      const count = header.readBigUInt64LE(8);
      const idxBytes = fstatSync(this.idxFd).size;
      if (BigInt(idxBytes) !== 16n + (count + 1n) * 8n) throw new Error(`${f.idx}: ${count} texts need ${16n + (count + 1n) * 8n} bytes, the file has ${idxBytes}`);
      this.size = Number(count);
      this.binBytes = fstatSync(this.binFd).size;
      const last = this.offsets(this.size, 1)[0]!;
      if (last !== this.binBytes) throw new Error(`${f.bin}: ${this.binBytes} bytes, but ${f.idx} ends at ${last}`);
    } catch (e) {
      this.close();
      throw e;
    }
  }

  private offsets(first: number, count: number): number[] {
    const buf = Buffer.alloc(count * 8);
    readSync(this.idxFd, buf, 0, buf.length, 16 + first * 8);
    return Array.from({ length: count }, (_, i) => Number(buf.readBigUInt64LE(i * 8)));
  }

  bytesOf(id: number): Buffer {
    if (!Number.isSafeInteger(id) || id < 0 || id >= this.size) throw new RangeError(`${this.base}: no text ${id} in a table of ${this.size}`);
    const [start, end] = this.offsets(id, 2) as [number, number];
    if (end < start || end > this.binBytes) throw new Error(`${this.base}.idx: text ${id} spans ${start}..${end}, outside ${this.binBytes} bytes`);
    const buf = Buffer.alloc(end - start);
    if (buf.length) readSync(this.binFd, buf, 0, buf.length, start);
    return buf;
  }

  textOf(id: number): string {
    try {
      return this.decoder.decode(this.bytesOf(id));
    } catch (e) {
      if (e instanceof RangeError) throw e;
      throw new Error(`${this.base}.bin: text ${id} is not valid UTF-8`);
    }
  }

  /** The longest text's UTF-8 byte length (from the offsets alone). */
  maxBytes(): number {
    let max = 0;
    for (let first = 0; first < this.size; first += 65536) {
      const n = Math.min(65536, this.size - first), offs = this.offsets(first, n + 1);
      for (let i = 0; i < n; i++) max = Math.max(max, offs[i + 1]! - offs[i]!);
    }
    return max;
  }

  /** Every text in id order, read in blocks. */
  *[Symbol.iterator](): Iterator<string> {
    const block = 4096;
    for (let first = 0; first < this.size; first += block) {
      const n = Math.min(block, this.size - first);
      const offs = this.offsets(first, n + 1);
      const buf = Buffer.alloc(offs[n]! - offs[0]!);
      if (buf.length) readSync(this.binFd, buf, 0, buf.length, offs[0]!);
      for (let i = 0; i < n; i++) yield this.decoder.decode(buf.subarray(offs[i]! - offs[0]!, offs[i + 1]! - offs[0]!));
    }
  }

  close(): void {
    for (const fd of [this.binFd, this.idxFd]) if (fd !== undefined) try { closeSync(fd); } catch { /* already closed */ }
  }
}
