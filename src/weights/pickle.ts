// A restricted unpickler: reads Python pickles (protocols 2 to 5) without running anything.
// Data opcodes build plain values (None, bools, ints, floats, strings, bytes, lists, tuples,
// dicts); a GLOBAL resolves only to names the caller allows, and REDUCE / NEWOBJ / BUILD call only
// the builders the caller gives for those names. Any other global is refused by name, so a pickle
// can never reach os.system or anything else. Every read is bounds-checked: a truncated or lying
// file ends in an error that names the file and the byte offset.

export class PyTuple {
  constructor(readonly items: unknown[]) {}
}

/** A global the caller allowed, as it appears on the stack. */
export class PyGlobal {
  constructor(readonly module: string, readonly name: string) {}
  get qualified(): string { return `${this.module}.${this.name}`; }
}

export interface GlobalBuilders {
  /** called by REDUCE (f(*args)) and NEWOBJ (cls.__new__(cls, *args)) */
  call?: (args: unknown[]) => unknown;
  /** called by BUILD on an object this global made (obj.__setstate__(state)) */
  build?: (obj: unknown, state: unknown) => unknown;
}

export interface UnpickleOptions {
  /** "module.name" -> its builders; nothing else may be named */
  globals: Record<string, GlobalBuilders>;
  /** resolves BINPERSID ids (torch's storages) */
  persistentLoad?: (id: unknown) => unknown;
  /** who made an object, for BUILD */
  builderOf?: (obj: unknown) => GlobalBuilders | undefined;
}

const MARK = Symbol('mark');
const MAX_MEMO = 50_000_000;

export class PickleError extends Error {}

export function unpickle(data: Uint8Array, where: string, options: UnpickleOptions): unknown {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const text = new TextDecoder('utf-8', { fatal: true });
  const latin1 = new TextDecoder('latin1');
  let pos = 0;
  const stack: unknown[] = [];
  const memo = new Map<number, unknown>();
  const madeBy = new WeakMap<object, GlobalBuilders>();
  const fail = (what: string): never => { throw new PickleError(`${where}: pickle byte ${pos}: ${what}`); };
  const need = (n: number) => { if (n < 0 || pos + n > data.length) fail(`truncated (needs ${n} more byte(s), ${data.length - pos} left)`); };
  const u8 = () => { need(1); return data[pos++]!; };
  const u16 = () => { need(2); const v = view.getUint16(pos, true); pos += 2; return v; };
  const u32 = () => { need(4); const v = view.getUint32(pos, true); pos += 4; return v; };
  const i32 = () => { need(4); const v = view.getInt32(pos, true); pos += 4; return v; };
  const u64 = () => { need(8); const v = view.getBigUint64(pos, true); pos += 8; if (v > BigInt(data.length)) fail(`a length of ${v} bytes in a ${data.length}-byte file`); return Number(v); };
  const bytes = (n: number) => { need(n); const b = data.subarray(pos, pos + n); pos += n; return b; };
  const utf8 = (n: number) => {
    const b = bytes(n);
    try { return text.decode(b); } catch { return fail('a string that is not valid UTF-8'); }
  };
  const line = () => { const end = data.indexOf(10, pos); if (end < 0) fail('an unterminated text argument'); const s = latin1.decode(data.subarray(pos, end)); pos = end + 1; return s; };
  const pop = () => (stack.length ? stack.pop() : fail('pop from an empty stack'));
  const top = () => (stack.length ? stack[stack.length - 1] : fail('an empty stack'));
  const popMark = (): unknown[] => {
    const at = stack.lastIndexOf(MARK);
    if (at < 0) fail('no MARK on the stack');
    const items = stack.splice(at);
    items.shift();
    return items;
  };
  const put = (i: number, v: unknown) => { if (memo.size >= MAX_MEMO && !memo.has(i)) fail('too many memo entries'); memo.set(i, v); };
  const get = (i: number) => (memo.has(i) ? memo.get(i) : fail(`memo entry ${i} was never stored`));
  const resolve = (module: string, name: string) => {
    const key = `${module}.${name}`;
    if (!Object.hasOwn(options.globals, key)) fail(`the global ${key} is not allowed (this reader only rebuilds arrays and tensors; a pickle naming anything else could run code)`);
    return new PyGlobal(module, name);
  };
  const call = (fn: unknown, args: unknown, how: string) => {
    if (!(fn instanceof PyGlobal)) fail(`${how} of something that is not an allowed global`);
    const g = fn as PyGlobal;
    const builders = options.globals[g.qualified]!;
    if (!builders.call) fail(`${how} of ${g.qualified}, which this reader does not call`);
    if (!(args instanceof PyTuple)) fail(`${how} of ${g.qualified} with arguments that are not a tuple`);
    const made = builders.call!((args as PyTuple).items);
    if (made !== null && typeof made === 'object') madeBy.set(made, builders);
    return made;
  };
  const setItems = (dict: unknown, items: unknown[]) => {
    if (!(dict instanceof Map)) fail('SETITEM(S) on something that is not a dict');
    if (items.length % 2) fail('SETITEMS with an odd number of items');
    for (let i = 0; i < items.length; i += 2) (dict as Map<unknown, unknown>).set(items[i], items[i + 1]);
  };
  const append = (list: unknown, items: unknown[]) => {
    if (!Array.isArray(list)) fail('APPEND(S) on something that is not a list');
    for (const item of items) (list as unknown[]).push(item); // push(...items) overflows the stack on long runs
  };

  for (;;) {
    const op = u8();
    switch (op) {
      case 0x80: { const proto = u8(); if (proto < 2 || proto > 5) fail(`pickle protocol ${proto} (2 to 5 are read)`); break; } // PROTO
      case 0x95: u64(); break; // FRAME: only a hint
      case 0x2e: { // STOP
        if (stack.length !== 1) fail(`${stack.length} values on the stack at STOP`);
        return stack[0];
      }
      case 0x28: stack.push(MARK); break; // MARK
      case 0x30: pop(); break; // POP
      case 0x31: popMark(); break; // POP_MARK
      case 0x32: stack.push(top()); break; // DUP
      case 0x4e: stack.push(null); break; // NONE
      case 0x88: stack.push(true); break; // NEWTRUE
      case 0x89: stack.push(false); break; // NEWFALSE
      case 0x4a: stack.push(i32()); break; // BININT
      case 0x4b: stack.push(u8()); break; // BININT1
      case 0x4d: stack.push(u16()); break; // BININT2
      case 0x8a: { // LONG1
        const n = u8(), b = bytes(n);
        let v = 0n;
        for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
        if (n && b[n - 1]! & 0x80) v -= 1n << BigInt(8 * n);
        if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) fail(`an integer ${v} beyond 2^53`);
        stack.push(Number(v));
        break;
      }
      case 0x49: { // INT (text)
        const s = line();
        stack.push(s === '00' ? false : s === '01' ? true : Number.isSafeInteger(Number(s)) ? Number(s) : fail(`INT ${JSON.stringify(s)}`));
        break;
      }
      case 0x47: { need(8); stack.push(view.getFloat64(pos, false)); pos += 8; break; } // BINFLOAT (big-endian)
      case 0x58: stack.push(utf8(u32())); break; // BINUNICODE
      case 0x8c: stack.push(utf8(u8())); break; // SHORT_BINUNICODE
      case 0x8d: stack.push(utf8(u64())); break; // BINUNICODE8
      case 0x42: stack.push(bytes(u32())); break; // BINBYTES
      case 0x43: stack.push(bytes(u8())); break; // SHORT_BINBYTES
      case 0x8e: stack.push(bytes(u64())); break; // BINBYTES8
      case 0x96: stack.push(bytes(u64())); break; // BYTEARRAY8
      case 0x54: { const n = i32(); if (n < 0) fail('a negative string length'); stack.push(latin1.decode(bytes(n))); break; } // BINSTRING
      case 0x55: stack.push(latin1.decode(bytes(u8()))); break; // SHORT_BINSTRING
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x7d: stack.push(new Map()); break; // EMPTY_DICT
      case 0x29: stack.push(new PyTuple([])); break; // EMPTY_TUPLE
      case 0x74: stack.push(new PyTuple(popMark())); break; // TUPLE
      case 0x85: stack.push(new PyTuple([pop()])); break; // TUPLE1
      case 0x86: { const b = pop(), a = pop(); stack.push(new PyTuple([a, b])); break; } // TUPLE2
      case 0x87: { const c = pop(), b = pop(), a = pop(); stack.push(new PyTuple([a, b, c])); break; } // TUPLE3
      case 0x6c: stack.push(popMark()); break; // LIST
      case 0x64: { const d = new Map(); setItems(d, popMark()); stack.push(d); break; } // DICT
      case 0x73: { const v = pop(), k = pop(); setItems(top(), [k, v]); break; } // SETITEM
      case 0x75: { const items = popMark(); setItems(top(), items); break; } // SETITEMS
      case 0x61: { const v = pop(); append(top(), [v]); break; } // APPEND
      case 0x65: { const items = popMark(); append(top(), items); break; } // APPENDS
      case 0x71: put(u8(), top()); break; // BINPUT
      case 0x72: put(u32(), top()); break; // LONG_BINPUT
      case 0x70: { const i = Number(line()); if (!Number.isSafeInteger(i)) fail('a bad PUT index'); put(i, top()); break; } // PUT
      case 0x94: put(memo.size, top()); break; // MEMOIZE
      case 0x68: stack.push(get(u8())); break; // BINGET
      case 0x6a: stack.push(get(u32())); break; // LONG_BINGET
      case 0x67: stack.push(get(Number(line()))); break; // GET
      case 0x63: { const module = line(), name = line(); stack.push(resolve(module, name)); break; } // GLOBAL
      case 0x93: { // STACK_GLOBAL
        const name = pop(), module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL without two strings');
        stack.push(resolve(module as string, name as string));
        break;
      }
      case 0x52: { const args = pop(), fn = pop(); stack.push(call(fn, args, 'REDUCE')); break; } // REDUCE
      case 0x81: { const args = pop(), cls = pop(); stack.push(call(cls, args, 'NEWOBJ')); break; } // NEWOBJ
      case 0x62: { // BUILD
        const state = pop(), obj = top();
        const builders = obj !== null && typeof obj === 'object' ? (madeBy.get(obj) ?? options.builderOf?.(obj)) : undefined;
        if (!builders?.build) fail('BUILD of an object no allowed global made');
        stack[stack.length - 1] = builders!.build!(obj, state);
        break;
      }
      case 0x51: { // BINPERSID
        const id = pop();
        if (!options.persistentLoad) fail('a persistent id, which this file should not have');
        stack.push(options.persistentLoad!(id));
        break;
      }
      default:
        fail(`opcode 0x${op.toString(16).padStart(2, '0')} (${JSON.stringify(String.fromCharCode(op))}) is not read by this restricted unpickler`);
    }
  }
}

/** A dict's string keys and values (pickled dicts of tensors); other keys are refused. */
export function stringKeyed(value: unknown, where: string): Map<string, unknown> {
  if (!(value instanceof Map)) throw new PickleError(`${where}: expected a dict at the top, found ${describe(value)}`);
  for (const k of value.keys()) if (typeof k !== 'string') throw new PickleError(`${where}: a dict key that is not a string (${describe(k)})`);
  return value as Map<string, unknown>;
}

export function describe(v: unknown): string {
  if (v === null) return 'None';
  if (v instanceof PyTuple) return `a tuple of ${v.items.length}`;
  if (v instanceof PyGlobal) return v.qualified;
  if (v instanceof Map) return 'a dict';
  if (Array.isArray(v)) return 'a list';
  if (v instanceof Uint8Array) return `${v.length} bytes`;
  return typeof v;
}
