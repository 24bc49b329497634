// The safetensors format: 8-byte little-endian header length, a JSON header
// of {name: {dtype, shape, data_offsets}}, then the raw little-endian data.
import { writeSync } from 'node:fs';
import { writeFileAtomicStreamed } from '../util/atomic.js';
import { withFile } from './random-access-file.js';

export interface NamedArray {
  shape: number[];
  data: Float32Array;
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** count little-endian values of dtype (F32, F64, F16, BF16, I64, I32) as float32. */
/** Refuses NaN and infinite weights, naming where (every weight reader checks what it decodes). */
export function checkFinite(data: Float32Array, where: string): void {
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i]!)) throw new Error(`${where} holds ${data[i]} at index ${i}; the weights are broken (a diverged run?)`);
  }
}

export function decode(dtype: string, bytes: Uint8Array, count: number, where: string): Float32Array {
  if (dtype === 'F32' && LITTLE_ENDIAN_HOST && bytes.byteLength === count * 4) {
    // the bytes are already the values: take a buffer read for this tensor alone, copy out of a shared one
    // (Uint8Array's slice, which copies: a Node Buffer's own slice is a view)
    const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : Uint8Array.prototype.slice.call(bytes);
    return new Float32Array(own.buffer, own.byteOffset, count);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(count);
  switch (dtype) {
    case 'F32': for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true); break;
    case 'F64': for (let i = 0; i < count; i++) out[i] = view.getFloat64(i * 8, true); break;
    case 'F16': for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(i * 2, true)); break;
    case 'BF16': {
      const u = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) u[i] = view.getUint16(i * 2, true) << 16;
      break;
    }
    case 'I64': for (let i = 0; i < count; i++) out[i] = Number(view.getBigInt64(i * 8, true)); break;
    case 'I32': for (let i = 0; i < count; i++) out[i] = view.getInt32(i * 4, true); break;
    default: throw new Error(`${where}: unsupported dtype ${dtype}`);
  }
  return out;
}

const BYTES: Record<string, number> = { F32: 4, F64: 8, F16: 2, BF16: 2, I64: 8 };
export const DTYPE_BYTES: Record<string, number> = { ...BYTES, I32: 4 };

const MAX_HEADER = 100 * 1024 * 1024; // as the safetensors library

/** Checks a header entry completely: dtype, shape and offsets, before a byte of data is read. */
function checkEntry(path: string, name: string, entry: unknown, dataBytes: number): { dtype: string; shape: number[]; start: number; end: number } {
  const bad = (problem: string) => new Error(`${path}: tensor ${name}: ${problem}`);
  if (typeof entry !== 'object' || entry === null) throw bad('header entry is not an object');
  const { dtype, shape, data_offsets: offsets } = entry as Record<string, unknown>;
  if (typeof dtype !== 'string' || BYTES[dtype] === undefined) throw bad(`unsupported dtype ${JSON.stringify(dtype)} (F32, F64, F16, BF16, I64)`);
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw bad(`shape ${JSON.stringify(shape)} is not a list of non-negative integers`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) throw bad(`data_offsets ${JSON.stringify(offsets)} are not two non-negative integers`);
  const [start, end] = offsets as [number, number];
  if (end < start) throw bad(`data_offsets [${start}, ${end}] run backwards`);
  if (end > dataBytes) throw bad(`runs past the end of the file (data_offsets end ${end}, ${dataBytes} data bytes; truncated?)`);
  const count = (shape as number[]).reduce((a, d) => a * d, 1);
  if (end - start !== count * BYTES[dtype]!) throw bad(`has ${end - start} bytes, but shape [${shape}] of ${dtype} needs ${count * BYTES[dtype]!}`);
  return { dtype, shape: shape as number[], start, end };
}

/**
 * Reads a safetensors file, validating it fully in this one place: header size and JSON, every
 * entry's dtype, shape and offsets, no two tensors sharing bytes, and no NaN or infinite value.
 * The file is read tensor by tensor at its offsets: never whole, so its size is not limited by
 * one read and its bytes are never in memory beside all the decoded tensors.
 */
export function readSafetensors(path: string): { tensors: Map<string, NamedArray>; metadata: Record<string, string> } {
  return withFile(path, (file) => {
    if (file.size < 8) throw new Error(`${path}: too short to be a safetensors file`);
    const headerLength = Buffer.from(file.read(0, 8, 'header length')).readBigUInt64LE(0);
    if (headerLength > BigInt(Math.min(MAX_HEADER, file.size - 8))) throw new Error(`${path}: header length ${headerLength} exceeds ${file.size - 8 < MAX_HEADER ? 'the file size' : 'the 100 MB limit'}`);
    const base = 8 + Number(headerLength);
    let header: unknown;
    try {
      header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(file.read(8, base - 8, 'header')));
    } catch (e) {
      throw new Error(`${path}: header is not valid JSON (${(e as Error).message})`);
    }
    if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new Error(`${path}: header is not a JSON object`);
    const dataBytes = file.size - base;
    const entries: { name: string; dtype: string; shape: number[]; start: number; end: number }[] = [];
    let metadata: Record<string, string> = {};
    for (const [name, entry] of Object.entries(header)) {
      if (name === '__metadata__') { metadata = entry as Record<string, string>; continue; }
      entries.push({ name, ...checkEntry(path, name, entry, dataBytes) });
    }
    const sorted = [...entries].sort((a, b) => a.start - b.start);
    for (let i = 1; i < sorted.length; i++) {
      if (sorted[i]!.start < sorted[i - 1]!.end) throw new Error(`${path}: tensors ${sorted[i - 1]!.name} and ${sorted[i]!.name} overlap`);
    }
    const tensors = new Map<string, NamedArray>();
    for (const { name, dtype, shape, start, end } of entries) {
      const count = shape.reduce((a, d) => a * d, 1);
      const data = decode(dtype, file.read(base + start, end - start, `tensor ${name}`), count, `${path}: ${name}`);
      checkFinite(data, `${path}: tensor ${name}`);
      tensors.set(name, { shape, data });
    }
    return { tensors, metadata };
  });
}

/** A tensor to write: its data, or a function that produces it when its turn comes (so one tensor at a time is in memory). */
export interface TensorSource {
  shape: number[];
  data: Float32Array | (() => Float32Array);
}

/** Writes F32 tensors, streamed: the file is never built in memory, and appears only once complete. */
export function writeSafetensors(path: string, tensors: Map<string, TensorSource>, metadata: Record<string, string> = {}): void {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, t] of tensors) {
    const bytes = t.shape.reduce((a, d) => a * d, 1) * 4;
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const headerBytes = Buffer.from(json, 'utf8');
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(headerBytes.length), 0);
  writeFileAtomicStreamed(path, (fd) => {
    writeSync(fd, prefix);
    writeSync(fd, headerBytes);
    for (const [name, t] of tensors) {
      const data = typeof t.data === 'function' ? t.data() : t.data;
      const expected = t.shape.reduce((a, d) => a * d, 1);
      if (data.length !== expected) throw new Error(`${path}: tensor ${name} has ${data.length} values for shape [${t.shape}]`);
      writeSync(fd, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    }
  });
}

/** A [rows, cols] matrix as [cols, rows] (Linear weights stored [in, out] vs [out, in]). */
export function transposed(t: NamedArray): NamedArray {
  if (t.shape.length !== 2) throw new Error(`a matrix was expected, got shape [${t.shape}]`);
  const [rows, cols] = t.shape as [number, number];
  const data = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) data[c * rows + r] = t.data[r * cols + c]!;
  return { shape: [cols, rows], data };
}
