// The entries of a zip archive as views into its bytes: enough for torch.save's format (a zip of
// stored, uncompressed files, zip64 when large). Every offset is checked against the file.
export interface ZipEntry {
  name: string;
  data: Uint8Array;
}

export function zipEntries(buf: Uint8Array, where: string): Map<string, ZipEntry> {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const fail = (what: string): never => { throw new Error(`${where}: not a readable zip (${what})`); };
  const u16 = (at: number) => (at + 2 <= buf.length ? view.getUint16(at, true) : fail(`offset ${at} beyond the file`));
  const u32 = (at: number) => (at + 4 <= buf.length ? view.getUint32(at, true) : fail(`offset ${at} beyond the file`));
  const u64 = (at: number) => {
    if (at + 8 > buf.length) fail(`offset ${at} beyond the file`);
    const v = view.getBigUint64(at, true);
    return v > BigInt(buf.length) ? fail(`a size or offset of ${v} in a ${buf.length}-byte file`) : Number(v);
  };
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 65535); i--) if (u32(i) === 0x06054b50) { eocd = i; break; }
  if (eocd < 0) fail('no end-of-central-directory record');
  let count = u16(eocd + 10), cdOffset = u32(eocd + 16);
  if (count === 0xffff || cdOffset === 0xffffffff) {
    const locator = eocd - 20;
    if (locator < 0 || u32(locator) !== 0x07064b50) fail('a zip64 archive without its locator');
    const record = u64(locator + 8);
    if (u32(record) !== 0x06064b50) fail('a bad zip64 end record');
    count = u64(record + 32);
    cdOffset = u64(record + 48);
  }
  const entries = new Map<string, ZipEntry>();
  let at = cdOffset;
  for (let i = 0; i < count; i++) {
    if (u32(at) !== 0x02014b50) fail(`central directory entry ${i} has a bad signature`);
    const method = u16(at + 10);
    let compressed = u32(at + 20), size = u32(at + 24);
    const nameLength = u16(at + 28), extraLength = u16(at + 30), commentLength = u16(at + 32);
    let local = u32(at + 42);
    if (at + 46 + nameLength > buf.length) fail('a name beyond the file');
    const name = new TextDecoder().decode(buf.subarray(at + 46, at + 46 + nameLength));
    // zip64 extra field: the 64-bit values of the fields that read 0xffffffff, in this order
    for (let e = at + 46 + nameLength, end = e + extraLength; e + 4 <= end;) {
      const id = u16(e), len = u16(e + 2);
      if (id === 1) {
        let f = e + 4;
        if (size === 0xffffffff) { size = u64(f); f += 8; }
        if (compressed === 0xffffffff) { compressed = u64(f); f += 8; }
        if (local === 0xffffffff) { local = u64(f); f += 8; }
      }
      e += 4 + len;
    }
    if (method !== 0) fail(`${name} is compressed (method ${method}); torch.save stores files uncompressed`);
    if (compressed !== size) fail(`${name}: stored sizes disagree`);
    if (u32(local) !== 0x04034b50) fail(`${name}: bad local header`);
    const start = local + 30 + u16(local + 26) + u16(local + 28);
    if (start + size > buf.length) fail(`${name} runs past the end of the file (truncated?)`);
    entries.set(name, { name, data: buf.subarray(start, start + size) });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}
