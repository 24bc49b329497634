// model_state.pdparams (paddle.save of a state dict): a pickle of {name: numpy array}, where
// Paddle 2.x pickles a tensor as tuple((name, ndarray)), plus bookkeeping entries:
//   "StructuredToParameterName@@"  structured name -> parameter name (dropped)
//   "UnpackBigParamInfor@@"        arrays over ~1 GiB split into "<key>@@.<i>" slices (protocols 2/3),
//                                  {key: {"OriginShape": [...], "slices": [names]}}: joined back here
// Arrays are rebuilt by the restricted unpickler from numpy's _reconstruct + BUILD state; files
// written under numpy 2 name numpy._core instead of numpy.core, and both are accepted.
import { checkFinite, decode, type NamedArray } from './safetensors.js';
import { describe, PyTuple, stringKeyed, unpickle, type GlobalBuilders } from './pickle.js';
import { withFile } from './random-access-file.js';

// paddle.save writes one pickle with the arrays inline, so the file is parsed whole, in one buffer
const MAX_FILE = 2 ** 32 - 1;
const NUMPY_DTYPES: Record<string, string> = { f4: 'F32', f8: 'F64', f2: 'F16', i8: 'I64', i4: 'I32' };

class NumpyDtype {
  constructor(readonly code: string, public byteOrder = '<') {}
}

class NumpyArray {
  shape: number[] = [];
  data?: Float32Array;
}

function numpyBuilders(path: string): Record<string, GlobalBuilders> {
  const reconstruct: GlobalBuilders = {
    call: () => new NumpyArray(),
    build: (obj, state) => {
      // (version, shape, dtype, is_fortran, raw data)
      const [, shape, dtype, fortran, raw] = state instanceof PyTuple ? state.items : [];
      const array = obj as NumpyArray;
      if (!(shape instanceof PyTuple) || !shape.items.every((n) => Number.isSafeInteger(n) && (n as number) >= 0)) throw new Error(`${path}: an array with a bad shape`);
      if (!(dtype instanceof NumpyDtype)) throw new Error(`${path}: an array without a dtype`);
      const kind = NUMPY_DTYPES[dtype.code];
      if (!kind) throw new Error(`${path}: numpy dtype ${dtype.code} is not read (float32, float64, float16, int64, int32)`);
      if (dtype.byteOrder === '>') throw new Error(`${path}: a big-endian array`);
      if (fortran === true && (shape.items as number[]).filter((n) => n > 1).length > 1) throw new Error(`${path}: a Fortran-ordered array (save it C-ordered)`);
      const bytes = raw instanceof Uint8Array ? raw : typeof raw === 'string' ? latin1Bytes(raw) : undefined;
      if (!bytes) throw new Error(`${path}: an array whose data is ${describe(raw)}`);
      array.shape = shape.items as number[];
      const count = array.shape.reduce((a, b) => a * b, 1);
      const width = { F32: 4, F64: 8, F16: 2, I64: 8, I32: 4 }[kind]!;
      if (bytes.length !== count * width) throw new Error(`${path}: an array of shape [${array.shape}] ${dtype.code} with ${bytes.length} bytes of data (needs ${count * width})`);
      array.data = decode(kind, bytes, count, path);
      checkFinite(array.data, `${path}: an array of shape [${array.shape}]`);
      return array;
    },
  };
  const dtype: GlobalBuilders = {
    call: (args) => {
      if (typeof args[0] !== 'string') throw new Error(`${path}: numpy.dtype of ${describe(args[0])}`);
      return new NumpyDtype(args[0]);
    },
    build: (obj, state) => {
      const order = state instanceof PyTuple ? state.items[1] : undefined;
      if (typeof order === 'string') (obj as NumpyDtype).byteOrder = order;
      return obj;
    },
  };
  // protocol 5: _frombuffer(bytes, dtype, shape, order)
  const frombuffer: GlobalBuilders = {
    call: (args) => reconstruct.build!(new NumpyArray(), new PyTuple([1, args[2], args[1], args[3] === 'F', args[0]])),
  };
  const tuple: GlobalBuilders = { call: (args) => (args[0] instanceof PyTuple ? args[0] : Array.isArray(args[0]) ? new PyTuple(args[0]) : new PyTuple([])) };
  return {
    'numpy.core.multiarray._reconstruct': reconstruct,
    'numpy._core.multiarray._reconstruct': reconstruct,
    'numpy.core.numeric._frombuffer': frombuffer,
    'numpy._core.numeric._frombuffer': frombuffer,
    'numpy.ndarray': {},
    'numpy.dtype': dtype,
    // protocol 2 under Python 3 pickles bytes as _codecs.encode(latin-1 text, 'latin1')
    '_codecs.encode': {
      call: (args) => {
        if (typeof args[0] !== 'string' || args[1] !== 'latin1') throw new Error(`${path}: _codecs.encode other than of text to latin1`);
        return latin1Bytes(args[0]);
      },
    },
    // Paddle's tensor reduce: tuple(((name, ndarray),)) -> (name, ndarray); protocol 2 says __builtin__
    'builtins.tuple': tuple,
    '__builtin__.tuple': tuple,
  };
}

function latin1Bytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 255) throw new Error('a latin-1 string with a character above U+00FF');
    out[i] = c;
  }
  return out;
}

export function readPaddleCheckpoint(path: string): Map<string, NamedArray> {
  const bytes = withFile(path, (file) => {
    if (file.size > MAX_FILE) throw new Error(`${path}: ${file.size} bytes; a .pdparams pickle is read whole, up to 4 GiB (save larger models sharded, or as safetensors)`);
    return file.read(0, file.size, 'the pickle');
  });
  const dict = stringKeyed(unpickle(bytes, path, { globals: numpyBuilders(path) }), path);
  const arrays = new Map<string, NamedArray>();
  let bigParams: unknown;
  for (const [name, value] of dict) {
    if (name === 'StructuredToParameterName@@') continue;
    if (name === 'UnpackBigParamInfor@@') { bigParams = value; continue; }
    const array = value instanceof PyTuple && value.items[1] instanceof NumpyArray ? value.items[1] : value;
    if (!(array instanceof NumpyArray) || !array.data) throw new Error(`${path}: ${name} is ${describe(value)}, not an array`);
    arrays.set(name, { shape: array.shape, data: array.data });
  }
  if (bigParams !== undefined) joinSlices(arrays, bigParams, path);
  return arrays;
}

function joinSlices(arrays: Map<string, NamedArray>, info: unknown, path: string): void {
  // each slice joins one array once: a slice listed again would multiply the file's bytes in memory
  const used = new Map<string, string>();
  for (const [key, entry] of stringKeyed(info, `${path}: UnpackBigParamInfor@@`)) {
    const e = entry instanceof Map ? entry : undefined;
    const shape = e?.get('OriginShape'), slices = e?.get('slices');
    const dims = shape instanceof PyTuple ? shape.items : shape;
    if (!Array.isArray(dims) || !dims.every((n) => Number.isSafeInteger(n) && n >= 0) || !Array.isArray(slices) || !slices.every((s) => typeof s === 'string')) {
      throw new Error(`${path}: UnpackBigParamInfor@@ describes ${key} without OriginShape and slices`);
    }
    for (const s of slices as string[]) {
      const earlier = used.get(s);
      if (earlier !== undefined) throw new Error(`${path}: UnpackBigParamInfor@@ lists the slice ${s} ${earlier === key ? `twice for ${key}` : `for both ${earlier} and ${key}`}; each slice is part of one array once`);
      used.set(s, key);
    }
    const parts = (slices as string[]).map((s) => arrays.get(s) ?? (() => { throw new Error(`${path}: slice ${s} of ${key} is missing`); })());
    const count = (dims as number[]).reduce((a, b) => a * b, 1);
    const total = parts.reduce((s, p) => s + p.data.length, 0);
    if (total !== count) throw new Error(`${path}: the slices of ${key} hold ${total} values, its shape [${dims}] needs ${count}`);
    const data = new Float32Array(count);
    let at = 0;
    for (const p of parts) { data.set(p.data, at); at += p.data.length; }
    for (const s of slices as string[]) arrays.delete(s);
    arrays.set(key, { shape: dims as number[], data });
  }
}
