// Compressed vectors searched by a full scan, then rescored exactly:
//   int8    code[i][j] = round((x[i][j] - center[j]) / scale[j]) in [-127, 127], with center[j] the middle
//           of dimension j's range over the corpus and scale[j] its half-width / 127 (calibrated per
//           dimension); approximate score = sum_j (q[j] * scale[j]) * code[i][j]
//   binary  bit[i][j] = x[i][j] > center[j], center[j] = dimension j's mean over the corpus
//           (numpy.packbits order: dimension 0 is the high bit of byte 0); with b = ±1 and
//           spread[j] = mean |x[j] - center[j]|, x - center ≈ spread ⊙ b, and the approximate score
//           is sum_j (q[j] - center[j]) * spread[j] * b[i][j]: the centred float query against the
//           bits (asymmetric, read byte by byte from a 256-entry table per code byte, built per query).
//           It ranks by (q - c)·(x - c), leaving out c·(x - c), which bits estimate badly (measured:
//           with it, a 64-d model kept 0.75 of the exact top 10 at oversample 256; without, 1.0)
// Centering is what makes codes informative for embeddings that all lean one way (anisotropy);
// q·x = q·(x - c) + q·c, and q·c is the same for every text.
// search(q, k) keeps the k * oversample best approximate candidates, then rescores them with the
// float query against the float vectors read from disk (an .npy file), and returns the k best.
// Memory: dim bytes per text (int8) or dim / 8 (binary); the float vectors stay on disk.
import { join } from 'node:path';
import { makeDir } from '../util/make-dir.js';
import { writeFileAtomic } from '../util/atomic.js';
import { NpyRows, NpyWriter, readNpyInfo } from './npy.js';
import { TopK, type Hit } from './topk.js';
import type { VectorIndex } from './vector-index.js';
import { openSync, readSync, closeSync } from 'node:fs';

export type QuantizedKind = 'int8' | 'binary';

/** Where rescoring reads a document's float vector. */
export interface FloatRows {
  readonly rows: number;
  readonly cols: number;
  read(start: number, count: number): Float32Array;
}

const CODES_FILE: Record<QuantizedKind, string> = { int8: 'codes.int8.npy', binary: 'codes.binary.npy' };

/** Per-dimension calibration over every row: int8 (center = mid-range, scale = half-range / 127), binary (center = mean, scale = mean |x - center|). */
export function calibrate(kind: QuantizedKind, source: FloatRows, block = 8192): { center: Float32Array; scales: Float32Array } {
  const { cols } = source;
  const min = new Float64Array(cols).fill(Infinity), max = new Float64Array(cols).fill(-Infinity), sum = new Float64Array(cols);
  for (let r = 0; r < source.rows; r += block) {
    const data = source.read(r, Math.min(block, source.rows - r));
    for (let i = 0; i < data.length; i++) {
      const v = data[i]!, j = i % cols;
      if (v < min[j]!) min[j] = v;
      if (v > max[j]!) max[j] = v;
      sum[j]! += v;
    }
  }
  if (kind === 'binary') {
    const center = Float32Array.from(sum, (s) => s / Math.max(1, source.rows));
    const spread = new Float64Array(cols);
    for (let r = 0; r < source.rows; r += block) {
      const data = source.read(r, Math.min(block, source.rows - r));
      for (let i = 0; i < data.length; i++) spread[i % cols]! += Math.abs(data[i]! - center[i % cols]!);
    }
    return { center, scales: Float32Array.from(spread, (s) => (s > 0 ? s / source.rows : 1e-6)) };
  }
  const center = Float32Array.from(min, (m, j) => (m + max[j]!) / 2);
  const scales = Float32Array.from(min, (m, j) => (max[j]! > m ? (max[j]! - m) / 254 : 1));
  return { center, scales };
}

export function encodeInt8(row: Float32Array, center: Float32Array, scales: Float32Array, out: Int8Array, at = 0): void {
  for (let j = 0; j < row.length; j++) out[at + j] = Math.max(-127, Math.min(127, Math.round((row[j]! - center[j]!) / scales[j]!)));
}

/** Bits of row > center, packed as numpy.packbits (big bit order) into ceil(dim / 8) bytes. */
export function encodeBinary(row: Float32Array, center: Float32Array, out: Uint8Array, at = 0): void {
  const bytes = Math.ceil(row.length / 8);
  out.fill(0, at, at + bytes);
  for (let j = 0; j < row.length; j++) if (row[j]! > center[j]!) out[at + (j >> 3)]! |= 0x80 >> (j & 7);
}

export interface QuantizedMeta { dim: number; size: number; oversample: number; center: number[]; scales: number[] }

export class QuantizedIndex implements VectorIndex {
  /** approximate candidates kept per hit asked for, before rescoring */
  oversample = 4;
  private readonly rowBytes: number;

  private constructor(readonly kind: QuantizedKind, readonly dim: number, readonly size: number, private readonly codes: Int8Array | Uint8Array,
    readonly center: Float32Array, readonly scales: Float32Array, private readonly floats: FloatRows) {
    this.rowBytes = kind === 'int8' ? dim : Math.ceil(dim / 8);
  }

  /** Encodes every row of `floats` (streamed in blocks). */
  static build(kind: QuantizedKind, floats: FloatRows, block = 8192): QuantizedIndex {
    const { rows, cols } = floats;
    const { center, scales } = calibrate(kind, floats, block);
    const rowBytes = kind === 'int8' ? cols : Math.ceil(cols / 8);
    const codes = kind === 'int8' ? new Int8Array(rows * rowBytes) : new Uint8Array(rows * rowBytes);
    for (let r = 0; r < rows; r += block) {
      const n = Math.min(block, rows - r);
      const data = floats.read(r, n);
      for (let i = 0; i < n; i++) {
        const row = data.subarray(i * cols, (i + 1) * cols);
        if (kind === 'int8') encodeInt8(row, center, scales, codes as Int8Array, (r + i) * rowBytes);
        else encodeBinary(row, center, codes as Uint8Array, (r + i) * rowBytes);
      }
    }
    return new QuantizedIndex(kind, cols, rows, codes, center, scales, floats);
  }

  /** Bytes this index holds in memory per text (its codes). */
  get bytesPerText(): number { return this.rowBytes; }

  add(): void {
    throw new Error(`a ${this.kind} index is built from its vectors file at once (inbatch index), not added to`);
  }

  /** The k * oversample best candidates by the compressed codes alone, best first. */
  approximate(query: Float32Array, depth: number): Hit[] {
    const heap = new TopK(Math.min(depth, this.size), { ties: 'first-offered' });
    if (this.kind === 'int8') {
      const codes = this.codes as Int8Array, dim = this.dim;
      const q = query.map((v, j) => v * this.scales[j]!);
      for (let i = 0, base = 0; i < this.size; i++, base += dim) {
        let s0 = 0, s1 = 0, j = 0;
        for (; j + 1 < dim; j += 2) { s0 += q[j]! * codes[base + j]!; s1 += q[j + 1]! * codes[base + j + 1]!; }
        if (j < dim) s0 += q[j]! * codes[base + j]!;
        const s = s0 + s1;
        if (s > heap.threshold) heap.push(i, s);
      }
    } else {
      // table[byte * 256 + value] = sum over the byte's 8 dimensions of ±q[j] * spread[j]
      const bytes = this.rowBytes, table = new Float32Array(bytes * 256);
      for (let b = 0; b < bytes; b++) {
        for (let v = 0; v < 256; v++) {
          let s = 0;
          for (let bit = 0; bit < 8; bit++) {
            const j = b * 8 + bit;
            if (j < this.dim) s += (v & (0x80 >> bit) ? 1 : -1) * (query[j]! - this.center[j]!) * this.scales[j]!;
          }
          table[b * 256 + v] = s;
        }
      }
      const codes = this.codes as Uint8Array;
      for (let i = 0, base = 0; i < this.size; i++, base += bytes) {
        let s = 0;
        for (let b = 0; b < bytes; b++) s += table[(b << 8) | codes[base + b]!]!;
        if (s > heap.threshold) heap.push(i, s);
      }
    }
    return heap.sorted();
  }

  search(queries: Float32Array[], k: number): Hit[][] {
    const kk = Math.min(k, this.size);
    return queries.map((q) => {
      const candidates = this.approximate(q, Math.max(kk, kk * this.oversample)).map((h) => h.id).sort((a, b) => a - b);
      const heap = new TopK(kk);
      for (const id of candidates) {
        const v = this.floats.read(id, 1);
        let s = 0;
        for (let j = 0; j < this.dim; j++) s += q[j]! * v[j]!;
        heap.push(id, Math.fround(s));
      }
      return heap.sorted();
    });
  }

  /** codes.<kind>.npy (int8 [n, dim] or uint8 [n, dim / 8]) and quantized.json (scales, oversample). */
  save(dir: string): void {
    makeDir(dir);
    const w = new NpyWriter(join(dir, CODES_FILE[this.kind]), this.kind === 'int8' ? 'int8' : 'uint8', this.rowBytes);
    w.appendBytes(new Uint8Array(this.codes.buffer, this.codes.byteOffset, this.codes.byteLength));
    w.close();
    writeFileAtomic(join(dir, 'quantized.json'), JSON.stringify({ kind: this.kind, dim: this.dim, size: this.size, oversample: this.oversample, center: Array.from(this.center), scales: Array.from(this.scales) }));
  }

  static load(dir: string, kind: QuantizedKind, meta: QuantizedMeta, floats: FloatRows): QuantizedIndex {
    const path = join(dir, CODES_FILE[kind]);
    const info = readNpyInfo(path);
    const rowBytes = kind === 'int8' ? meta.dim : Math.ceil(meta.dim / 8);
    if (info.rows !== meta.size || info.cols !== rowBytes || info.dtype !== (kind === 'int8' ? 'int8' : 'uint8')) {
      throw new Error(`${path}: holds ${info.rows}x${info.cols} ${info.dtype}, expected ${meta.size}x${rowBytes} ${kind === 'int8' ? 'int8' : 'uint8'}`);
    }
    if (floats.rows !== meta.size || floats.cols !== meta.dim) throw new Error(`${dir}: the float vectors are ${floats.rows}x${floats.cols}, the codes ${meta.size}x${meta.dim}`);
    if (!Array.isArray(meta.scales) || meta.scales.length !== meta.dim || !meta.scales.every((s) => Number.isFinite(s) && s > 0)) throw new Error(`${dir}/quantized.json: scales must be ${meta.dim} positive numbers`);
    if (!Array.isArray(meta.center) || meta.center.length !== meta.dim || !meta.center.every(Number.isFinite)) throw new Error(`${dir}/quantized.json: center must be ${meta.dim} numbers`);
    if (!Number.isSafeInteger(meta.oversample) || meta.oversample < 1) throw new Error(`${dir}/quantized.json: oversample must be a positive integer`);
    const codes = kind === 'int8' ? new Int8Array(info.rows * rowBytes) : new Uint8Array(info.rows * rowBytes);
    const fd = openSync(path, 'r');
    try {
      const view = new Uint8Array(codes.buffer);
      let done = 0;
      while (done < view.length) {
        const n = readSync(fd, view, done, Math.min(1 << 26, view.length - done), info.dataOffset + done);
        if (n <= 0) throw new Error(`${path}: ended early`);
        done += n;
      }
    } finally {
      closeSync(fd);
    }
    const index = new QuantizedIndex(kind, meta.dim, meta.size, codes, Float32Array.from(meta.center), Float32Array.from(meta.scales), floats);
    index.oversample = meta.oversample;
    return index;
  }
}

export { NpyRows };
