// The entries of a zip archive, located by position in the file: enough for torch.save's format
// (a zip of stored, uncompressed files, zip64 when large). Only the directory records are read
// here; an entry's bytes are read when asked for. Every offset is checked against the file.
import type { RandomAccessFile } from './random-access-file.js';

export interface ZipEntry {
  name: string;
  /** where the entry's bytes start in the file */
  offset: number;
  size: number;
}

const MAX_CENTRAL_DIRECTORY = 64 << 20;
const EOCD = 0x06054b50, ZIP64_LOCATOR = 0x07064b50, ZIP64_END = 0x06064b50, CENTRAL = 0x02014b50, LOCAL = 0x04034b50;

/** Little-endian fields of bytes read from `start` in the file; a field past them fails. */
function fields(bytes: Uint8Array, start: number, fail: (what: string) => never, fileSize: number) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const inside = (at: number, n: number) => (at + n <= bytes.length ? at : fail(`offset ${start + at} beyond the file`));
  return {
    u16: (at: number) => view.getUint16(inside(at, 2), true),
    u32: (at: number) => view.getUint32(inside(at, 4), true),
    u64: (at: number) => {
      const v = view.getBigUint64(inside(at, 8), true);
      return v > BigInt(fileSize) ? fail(`a size or offset of ${v} in a ${fileSize}-byte file`) : Number(v);
    },
  };
}

export function zipEntries(file: RandomAccessFile): Map<string, ZipEntry> {
  const fail = (what: string): never => { throw new Error(`${file.path}: not a readable zip (${what})`); };
  const read = (at: number, n: number, what: string) => (at + n <= file.size ? file.read(at, n, what) : fail(`${what} beyond the file`));
  const tailStart = Math.max(0, file.size - 22 - 65535); // the end record, then a comment of at most 65535 bytes
  const tail = read(tailStart, file.size - tailStart, 'end of central directory');
  const t = fields(tail, tailStart, fail, file.size);
  let eocd = -1;
  for (let i = tail.length - 22; i >= 0; i--) if (t.u32(i) === EOCD) { eocd = i; break; }
  if (eocd < 0) fail('no end-of-central-directory record');
  let count = t.u16(eocd + 10), cdSize = t.u32(eocd + 12), cdOffset = t.u32(eocd + 16);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const locatorAt = tailStart + eocd - 20;
    if (locatorAt < 0) fail('a zip64 archive without its locator');
    const locator = fields(read(locatorAt, 20, 'zip64 locator'), locatorAt, fail, file.size);
    if (locator.u32(0) !== ZIP64_LOCATOR) fail('a zip64 archive without its locator');
    const recordAt = locator.u64(8);
    const record = fields(read(recordAt, 56, 'zip64 end record'), recordAt, fail, file.size);
    if (record.u32(0) !== ZIP64_END) fail('a bad zip64 end record');
    count = record.u64(32);
    cdSize = record.u64(40);
    cdOffset = record.u64(48);
  }
  // bounded before it is read: a state dict's directory is ~100 bytes an entry
  if (cdSize > MAX_CENTRAL_DIRECTORY) fail(`a central directory of ${cdSize} bytes (more than ${MAX_CENTRAL_DIRECTORY >> 20} MiB)`);
  if (count * 46 > cdSize) fail(`${count} entries cannot fit in a central directory of ${cdSize} bytes`);
  const cdBytes = read(cdOffset, cdSize, 'central directory');
  const cd = fields(cdBytes, cdOffset, fail, file.size);
  const entries = new Map<string, ZipEntry>();
  let at = 0;
  for (let i = 0; i < count; i++) {
    if (cd.u32(at) !== CENTRAL) fail(`central directory entry ${i} has a bad signature`);
    const method = cd.u16(at + 10);
    let compressed = cd.u32(at + 20), size = cd.u32(at + 24);
    const nameLength = cd.u16(at + 28), extraLength = cd.u16(at + 30), commentLength = cd.u16(at + 32);
    let local = cd.u32(at + 42);
    if (at + 46 + nameLength > cdBytes.length) fail('a name beyond the central directory');
    const name = new TextDecoder().decode(cdBytes.subarray(at + 46, at + 46 + nameLength));
    // zip64 extra field: the 64-bit values of the fields that read 0xffffffff, in this order
    for (let e = at + 46 + nameLength, end = e + extraLength; e + 4 <= end;) {
      const id = cd.u16(e), len = cd.u16(e + 2);
      if (id === 1) {
        let f = e + 4;
        if (size === 0xffffffff) { size = cd.u64(f); f += 8; }
        if (compressed === 0xffffffff) { compressed = cd.u64(f); f += 8; }
        if (local === 0xffffffff) { local = cd.u64(f); f += 8; }
      }
      e += 4 + len;
    }
    if (method !== 0) fail(`${name} is compressed (method ${method}); torch.save stores files uncompressed`);
    if (compressed !== size) fail(`${name}: stored sizes disagree`);
    const header = fields(read(local, 30, `${name}: local header`), local, fail, file.size);
    if (header.u32(0) !== LOCAL) fail(`${name}: bad local header`);
    const offset = local + 30 + header.u16(26) + header.u16(28);
    if (offset + size > file.size) fail(`${name} runs past the end of the file (truncated?)`);
    entries.set(name, { name, offset, size });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}
