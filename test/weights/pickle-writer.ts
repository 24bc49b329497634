// Writes pickles and torch.save zips opcode by opcode, for fixtures (and for files that lie).
export class PickleWriter {
  private out: number[] = [];
  private op(...b: number[]): this { this.out.push(...b); return this; }
  private u32(n: number): number[] { return [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, (n >>> 24) & 255]; }
  proto(n = 2) { return this.op(0x80, n); }
  global(module: string, name: string) { return this.op(0x63, ...Buffer.from(`${module}\n${name}\n`, 'latin1')); }
  mark() { return this.op(0x28); }
  tuple() { return this.op(0x74); }
  emptyTuple() { return this.op(0x29); }
  emptyDict() { return this.op(0x7d); }
  setItems() { return this.op(0x75); }
  reduce() { return this.op(0x52); }
  build() { return this.op(0x62); }
  persistentId() { return this.op(0x51); }
  none() { return this.op(0x4e); }
  bool(v: boolean) { return this.op(v ? 0x88 : 0x89); }
  int(n: number) { return this.op(0x4a, ...this.u32(n)); }
  str(s: string) { const b = Buffer.from(s, 'utf8'); return this.op(0x58, ...this.u32(b.length), ...b); }
  bytes(b: Uint8Array) { this.op(0x42, ...this.u32(b.length)); for (const x of b) this.out.push(x); return this; }
  ints(values: number[]) { this.mark(); for (const v of values) this.int(v); return this.tuple(); }
  stop() { return this.op(0x2e); }
  raw(...b: number[]) { return this.op(...b); }
  toBytes(): Uint8Array { return Uint8Array.from(this.out); }
}

export function float32Bytes(data: Float32Array): Uint8Array {
  return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
}

/**
 * A zip of stored (uncompressed) files, as torch.save writes (CRC left 0: readers here do not check it).
 * `base`: where the zip will start in its file (offsets are absolute; what comes before is not zip).
 */
export function storedZip(files: [string, Uint8Array][], base = 0): Uint8Array {
  const parts: Buffer[] = [], central: Buffer[] = [];
  let offset = 0;
  for (const [name, data] of files) {
    const n = Buffer.from(name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0); local.writeUInt16LE(20, 4);
    local.writeUInt32LE(data.length, 18); local.writeUInt32LE(data.length, 22); local.writeUInt16LE(n.length, 26);
    parts.push(local, n, Buffer.from(data));
    const c = Buffer.alloc(46);
    c.writeUInt32LE(0x02014b50, 0); c.writeUInt16LE(20, 4); c.writeUInt16LE(20, 6);
    c.writeUInt32LE(data.length, 20); c.writeUInt32LE(data.length, 24); c.writeUInt16LE(n.length, 28); c.writeUInt32LE(base + offset, 42);
    central.push(c, n);
    offset += 30 + n.length + data.length;
  }
  const cd = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0); end.writeUInt16LE(files.length, 8); end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(cd.length, 12); end.writeUInt32LE(base + offset, 16);
  return new Uint8Array(Buffer.concat([...parts, cd, end]));
}

/** torch.save of a state dict: every tensor its own FloatStorage; `transposed` tensors are stored as their transpose and rebuilt with strides. */
export function torchSaveBytes(tensors: Map<string, { shape: number[]; data: Float32Array }>, transposed = new Set<string>(), base = 0): Uint8Array {
  const p = new PickleWriter().proto(2).global('collections', 'OrderedDict').emptyTuple().reduce().mark();
  const files: [string, Uint8Array][] = [];
  let key = 0;
  for (const [name, t] of tensors) {
    let data = t.data, stride: number[];
    if (transposed.has(name) && t.shape.length === 2) {
      const [r, c] = t.shape as [number, number];
      data = new Float32Array(r * c);
      for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) data[j * r + i] = t.data[i * c + j]!;
      stride = [1, r];
    } else {
      stride = t.shape.map((_, d) => t.shape.slice(d + 1).reduce((a, b) => a * b, 1));
    }
    files.push([`archive/data/${key}`, float32Bytes(data)]);
    p.str(name).global('torch._utils', '_rebuild_tensor_v2').mark()
      .mark().str('storage').global('torch', 'FloatStorage').str(String(key)).str('cpu').int(data.length).tuple().persistentId()
      .int(0).ints(t.shape).ints(stride).bool(false).global('collections', 'OrderedDict').emptyTuple().reduce().tuple().reduce();
    key++;
  }
  p.setItems().stop();
  return storedZip([['archive/data.pkl', p.toBytes()], ...files, ['archive/version', new TextEncoder().encode('3\n')]], base);
}

/** paddle.save of a state dict (protocol 2): name -> tuple((name, ndarray)), plus StructuredToParameterName@@. */
export function paddleSaveBytes(arrays: Map<string, { shape: number[]; data: Float32Array }>): Uint8Array {
  const p = new PickleWriter().proto(2).emptyDict().mark();
  for (const [name, t] of arrays) {
    p.str(name).global('__builtin__', 'tuple').mark().mark().str(`param_${name}`);
    p.global('numpy.core.multiarray', '_reconstruct').mark().global('numpy', 'ndarray').ints([0]).bytes(Uint8Array.of(98)).tuple().reduce();
    p.mark().int(1).ints(t.shape).global('numpy', 'dtype').mark().str('f4').bool(false).bool(true).tuple().reduce()
      .mark().int(3).str('<').none().none().none().int(-1).int(-1).int(0).tuple().build()
      .bool(false).bytes(float32Bytes(t.data)).tuple().build();
    p.tuple().tuple().reduce();
  }
  p.str('StructuredToParameterName@@').emptyDict().setItems().stop();
  return p.toBytes();
}
