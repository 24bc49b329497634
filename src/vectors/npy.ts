// NumPy's .npy format 1.0, so numpy, faiss and sentence-transformers open the vectors directly:
//   "\x93NUMPY" 1 0, u16 LE header length, then a Python dict literal
//   {'descr': '<f4', 'fortran_order': False, 'shape': (rows, cols), } padded with spaces and
//   ending in "\n" so that the data starts at a multiple of 64 bytes; then rows*cols values, C order.
// Written as a stream (rows appended), read by row ranges with positioned reads: never whole.
import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import { openTempFile, type TempFile } from '../util/atomic.js';
import { floatToHalf, halfToFloat } from '../util/float16.js';

export type NpyDtype = 'float32' | 'float16' | 'int8' | 'uint8';

const DESCR: Record<NpyDtype, string> = { float32: '<f4', float16: '<f2', int8: '|i1', uint8: '|u1' };
const BYTES: Record<NpyDtype, number> = { float32: 4, float16: 2, int8: 1, uint8: 1 };
const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]);
/** header size written: room for any row count, so the count can be rewritten in place at the end */
const HEADER_BYTES = 128;

export function npyHeader(dtype: NpyDtype, rows: number, cols: number): Buffer {
  const dict = `{'descr': '${DESCR[dtype]}', 'fortran_order': False, 'shape': (${rows}, ${cols}), }`;
  const header = Buffer.alloc(HEADER_BYTES, 0x20);
  MAGIC.copy(header, 0);
  header[6] = 1; header[7] = 0;
  header.writeUInt16LE(HEADER_BYTES - 10, 8);
  header.write(dict, 10, 'latin1');
  header[HEADER_BYTES - 1] = 0x0a;
  return header;
}

export interface NpyInfo {
  dtype: NpyDtype;
  rows: number;
  cols: number;
  /** byte offset of the first value */
  dataOffset: number;
}

/** Parses and checks an .npy header (format 1.x or 2.x, little-endian, C order, 2-d) against the file's size. */
export function readNpyInfo(path: string, fd?: number): NpyInfo {
  const own = fd === undefined;
  const f = fd ?? openSync(path, 'r');
  try {
    const head = Buffer.alloc(12);
    readSync(f, head, 0, 12, 0);
    if (!head.subarray(0, 6).equals(MAGIC)) throw new Error(`${path}: not an .npy file`);
    const major = head[6]!;
    if (major !== 1 && major !== 2) throw new Error(`${path}: .npy format ${major} is not read`);
    const length = major === 1 ? head.readUInt16LE(8) : head.readUInt32LE(8);
    const start = major === 1 ? 10 : 12;
    if (length > 1 << 16) throw new Error(`${path}: .npy header of ${length} bytes`);
    const dictBytes = Buffer.alloc(length);
    readSync(f, dictBytes, 0, length, start);
    const dict = dictBytes.toString('latin1');
    const descr = /'descr':\s*'([^']+)'/.exec(dict)?.[1];
    const dtype = (Object.keys(DESCR) as NpyDtype[]).find((d) => DESCR[d] === descr || (BYTES[d] === 1 && descr === DESCR[d].replace('|', '<')));
    if (!dtype) throw new Error(`${path}: dtype ${descr ?? '?'} is not one of ${Object.values(DESCR).join(', ')}`);
    if (!/'fortran_order':\s*False/.test(dict)) throw new Error(`${path}: Fortran-ordered arrays are not read`);
    const shape = /'shape':\s*\((\d+),\s*(\d+),?\s*\)/.exec(dict);
    if (!shape) throw new Error(`${path}: shape must be (rows, cols)`);
    const rows = Number(shape[1]), cols = Number(shape[2]);
    const dataOffset = start + length;
    const expected = dataOffset + rows * cols * BYTES[dtype];
    const size = fstatSync(f).size;
    if (size !== expected) throw new Error(`${path}: a ${rows}x${cols} ${dtype} array needs ${expected} bytes, the file has ${size}`);
    return { dtype, rows, cols, dataOffset };
  } finally {
    if (own) closeSync(f);
  }
}

/** Float rows as float32 or float16 values (float16: round to nearest even, as numpy's astype). */
export function encodeRows(dtype: 'float32' | 'float16', data: Float32Array): Buffer {
  if (dtype === 'float32') return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const out = Buffer.alloc(data.length * 2);
  for (let i = 0; i < data.length; i++) out.writeUInt16LE(floatToHalf(data[i]!), i * 2);
  return out;
}

/** Appends rows to an .npy file written atomically: nothing is at `path` until close(). */
export class NpyWriter {
  private readonly file: TempFile;
  rows = 0;

  constructor(readonly path: string, readonly dtype: NpyDtype, readonly cols: number) {
    this.file = openTempFile(path);
    writeSync(this.file.fd, npyHeader(dtype, 0, cols));
  }

  /** Raw row bytes in this file's dtype (rows * cols * itemsize). */
  appendBytes(bytes: Uint8Array): void {
    const rowBytes = this.cols * BYTES[this.dtype];
    if (bytes.length % rowBytes) throw new Error(`${this.path}: ${bytes.length} bytes is not a whole number of ${this.cols}-value rows`);
    writeSync(this.file.fd, bytes);
    this.rows += bytes.length / rowBytes;
  }

  abandon(): void { this.file.abort(); }

  close(): void {
    writeSync(this.file.fd, npyHeader(this.dtype, this.rows, this.cols), 0, HEADER_BYTES, 0);
    this.file.commit();
  }
}

/** Random and ranged reads of a float .npy matrix (float32 or float16), as float32. */
export class NpyRows {
  readonly info: NpyInfo;
  private readonly fd: number;
  private readonly item: number;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'r');
    try {
      this.info = readNpyInfo(path, this.fd);
    } catch (e) {
      closeSync(this.fd);
      throw e;
    }
    if (this.info.dtype !== 'float32' && this.info.dtype !== 'float16') {
      closeSync(this.fd);
      throw new Error(`${path}: holds ${this.info.dtype}, float vectors (float32 or float16) were expected`);
    }
    this.item = BYTES[this.info.dtype];
  }

  get rows(): number { return this.info.rows; }
  get cols(): number { return this.info.cols; }

  /** Rows [start, start + count) as one float32 array, row after row. */
  read(start: number, count: number): Float32Array {
    const { cols } = this.info;
    if (start < 0 || count < 0 || start + count > this.info.rows) throw new RangeError(`${this.path}: rows ${start}..${start + count} of ${this.info.rows}`);
    const bytes = Buffer.alloc(count * cols * this.item);
    let done = 0;
    while (done < bytes.length) {
      const n = readSync(this.fd, bytes, done, bytes.length - done, this.info.dataOffset + start * cols * this.item + done);
      if (n <= 0) throw new Error(`${this.path}: ended early`);
      done += n;
    }
    return decodeRows(this.info.dtype as 'float32' | 'float16', bytes);
  }

  row(id: number): Float32Array { return this.read(id, 1); }

  close(): void { closeSync(this.fd); }
}

export function decodeRows(dtype: 'float32' | 'float16', bytes: Buffer): Float32Array {
  if (dtype === 'float32') {
    const out = new Float32Array(bytes.length / 4);
    new Uint8Array(out.buffer).set(bytes);
    return out;
  }
  const out = new Float32Array(bytes.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = halfToFloat(bytes.readUInt16LE(i * 2));
  return out;
}
