// A float32 matrix on disk: a 16-byte header ("IBF32\0\0\0", rows u32, cols u32) then rows*cols little-endian floats.
import { closeSync, openSync, readFileSync, readSync, writeSync } from 'node:fs';
import { openTempFile, writeFileAtomic, type TempFile } from '../util/atomic.js';

const MAGIC = 'IBF32\0\0\0';

export function matrixHeader(rows: number, cols: number): Buffer {
  const header = Buffer.alloc(16);
  header.write(MAGIC, 0, 'latin1');
  header.writeUInt32LE(rows, 8);
  header.writeUInt32LE(cols, 12);
  return header;
}

export function writeMatrix(path: string, data: Float32Array, rows: number, cols: number): void {
  writeFileAtomic(path, Buffer.concat([matrixHeader(rows, cols), Buffer.from(data.buffer, data.byteOffset, rows * cols * 4)]));
}

export function readMatrix(path: string): { rows: number; cols: number; data: Float32Array } {
  const buf = readFileSync(path);
  if (buf.length < 16 || buf.toString('latin1', 0, 8) !== MAGIC) throw new Error(`${path}: not an inbatch float32 matrix file`);
  const rows = buf.readUInt32LE(8);
  const cols = buf.readUInt32LE(12);
  if (buf.length !== 16 + rows * cols * 4) throw new Error(`${path}: expected ${rows}x${cols} floats, file has ${(buf.length - 16) / 4}`);
  const data = new Float32Array(rows * cols);
  new Uint8Array(data.buffer).set(buf.subarray(16));
  return { rows, cols, data };
}

/** Appends rows to a matrix file as they are produced, so a huge corpus is never held whole. */
export class MatrixWriter {
  private readonly file: TempFile;
  private rows = 0;

  constructor(private readonly path: string, private readonly cols: number) {
    this.file = openTempFile(path);
    writeSync(this.file.fd, matrixHeader(0, cols));
  }

  append(vectors: Float32Array[]): void {
    for (const v of vectors) {
      if (v.length !== this.cols) throw new Error(`${this.path}: row of length ${v.length}, expected ${this.cols}`);
      writeSync(this.file.fd, Buffer.from(v.buffer, v.byteOffset, v.byteLength));
    }
    this.rows += vectors.length;
  }

  /** Removes the partial file (the embedding failed). */
  abandon(): void {
    this.file.abort();
  }

  close(): number {
    writeSync(this.file.fd, matrixHeader(this.rows, this.cols), 0, 16, 0);
    this.file.commit();
    return this.rows;
  }
}

/** Reads rows [start, start+count) of a matrix file without loading the rest. */
export function readMatrixRows(path: string, start: number, count: number): Float32Array[] {
  const fd = openSync(path, 'r');
  try {
    const header = Buffer.alloc(16);
    readSync(fd, header, 0, 16, 0);
    const cols = header.readUInt32LE(12);
    const buf = Buffer.alloc(count * cols * 4);
    const read = readSync(fd, buf, 0, buf.length, 16 + start * cols * 4);
    const out: Float32Array[] = [];
    for (let r = 0; r < Math.floor(read / (cols * 4)); r++) {
      const v = new Float32Array(cols);
      new Uint8Array(v.buffer).set(buf.subarray(r * cols * 4, (r + 1) * cols * 4));
      out.push(v);
    }
    return out;
  } finally {
    closeSync(fd);
  }
}
