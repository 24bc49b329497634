// pytorch_model.bin (torch.save since PyTorch 1.6): a zip holding data.pkl (the state dict,
// pickled) and one file per storage under data/. Tensors are rebuilt from (storage, offset,
// size, stride) with every index checked against the storage; the pickle is read by the
// restricted unpickler, so only these rebuild functions and storage types may be named.
import { checkFinite, decode, DTYPE_BYTES, type NamedArray } from './safetensors.js';
import { describe, PyGlobal, PyTuple, stringKeyed, unpickle, type GlobalBuilders } from './pickle.js';
import { withFile } from './random-access-file.js';
import { zipEntries } from './zip-entries.js';

const STORAGE_DTYPES: Record<string, string> = {
  FloatStorage: 'F32', HalfStorage: 'F16', BFloat16Storage: 'BF16', DoubleStorage: 'F64', LongStorage: 'I64', IntStorage: 'I32',
};
const MAX_FILE = 16 * 2 ** 30;
const MAX_PICKLE = 256 * 2 ** 20;

/** A storage is read when a tensor that passed the checks needs its values, once. */
interface Storage { numel: number; dtype: string; values(): Float32Array }

export function readTorchCheckpoint(path: string): Map<string, NamedArray> {
  return withFile(path, (file) => {
    if (file.size > MAX_FILE) throw new Error(`${path}: larger than 16 GiB`);
    const entries = zipEntries(file);
    const pkl = [...entries.keys()].find((n) => n.endsWith('/data.pkl') && n.split('/').length === 2);
    if (!pkl) throw new Error(`${path}: no <name>/data.pkl inside: not a torch.save file (or saved with _use_new_zipfile_serialization=False, which is not read)`);
    if (entries.get(pkl)!.size > MAX_PICKLE) throw new Error(`${path}: ${pkl} is larger than ${MAX_PICKLE >> 20} MB; a state dict's pickle holds names and shapes only`);
    const prefix = pkl.slice(0, -'data.pkl'.length);
    const storages = new Map<string, Storage>();
    // values rebuilt against values stored: views may share a storage (tied weights), never multiply it
    let stored = 0, rebuilt = 0;
    const budget = (count: number, name: string) => {
      rebuilt += count;
      if (rebuilt > 2 * stored + (1 << 20)) throw new Error(`${path}: its tensors (${name} and those before it) view ${rebuilt} values of ${stored} stored; a checkpoint's tensors do not repeat their storages`);
    };
    const globals: Record<string, GlobalBuilders> = {
      'collections.OrderedDict': { call: () => new Map() },
      'torch._utils._rebuild_tensor_v2': { call: (args) => rebuildTensor(args, path, budget) },
      'torch._utils._rebuild_parameter': { call: (args) => args[0] },
    };
    for (const name of Object.keys(STORAGE_DTYPES)) globals[`torch.${name}`] = {};
    const pklEntry = entries.get(pkl)!;
    const state = unpickle(file.read(pklEntry.offset, pklEntry.size, pkl), `${path}:${pkl}`, {
      globals,
      persistentLoad: (id) => {
        // ('storage', storage type, key, location, numel)
        const t = id instanceof PyTuple ? id.items : [];
        const [kind, type, key, , numel] = t;
        if (kind !== 'storage' || !(type instanceof PyGlobal) || typeof key !== 'string' || typeof numel !== 'number') throw new Error(`${path}: a persistent id that is not a storage (${describe(id)})`);
        const dtype = STORAGE_DTYPES[type.name]!;
        const cached = storages.get(key);
        if (cached) return cached;
        const entry = entries.get(`${prefix}data/${key}`);
        if (!entry) throw new Error(`${path}: storage ${key} is missing from the archive`);
        const bytes = numel * DTYPE_BYTES[dtype]!;
        if (entry.size < bytes) throw new Error(`${path}: storage ${key} holds ${entry.size} bytes, ${numel} ${dtype} values need ${bytes}`);
        let values: Float32Array | undefined;
        const storage: Storage = {
          numel, dtype,
          values: () => {
            if (!values) {
              values = decode(dtype, file.read(entry.offset, bytes, `storage ${key}`), numel, `${path}: storage ${key}`);
              checkFinite(values, `${path}: storage ${key}`);
            }
            return values;
          },
        };
        stored += numel;
        storages.set(key, storage);
        return storage;
      },
    });
    const dict = stringKeyed(state, path);
    const out = new Map<string, NamedArray>();
    for (const [name, value] of dict) {
      if (!isNamedArray(value)) throw new Error(`${path}: ${name} is ${describe(value)}, not a tensor`);
      out.set(name, value);
    }
    return out;
  });
}

function isNamedArray(v: unknown): v is NamedArray {
  return typeof v === 'object' && v !== null && (v as NamedArray).data instanceof Float32Array && Array.isArray((v as NamedArray).shape);
}

/** _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks, ...) */
function rebuildTensor(args: unknown[], path: string, budget: (count: number, name: string) => void): NamedArray {
  const [storage, offset, size, stride] = args as [Storage, number, PyTuple, PyTuple];
  const ints = (t: unknown, what: string) => {
    if (!(t instanceof PyTuple) || !t.items.every((x) => Number.isSafeInteger(x) && (x as number) >= 0)) throw new Error(`${path}: a tensor's ${what} is not a tuple of non-negative integers`);
    return t.items as number[];
  };
  if (typeof storage?.values !== 'function' || !Number.isSafeInteger(offset) || offset < 0) throw new Error(`${path}: a tensor without a valid storage and offset`);
  const shape = ints(size, 'size'), strides = ints(stride, 'stride');
  if (shape.length !== strides.length) throw new Error(`${path}: a tensor with ${shape.length} sizes and ${strides.length} strides`);
  const count = shape.reduce((a, b) => a * b, 1);
  // a view with more values than its storage (zero strides) would be materialised before any check
  if (!Number.isSafeInteger(count) || count > storage.numel) throw new Error(`${path}: a tensor of shape [${shape}] (${count} values) views a storage of ${storage.numel}; refused before it is rebuilt`);
  budget(count, `a tensor of shape [${shape}]`);
  const last = count === 0 ? offset : offset + shape.reduce((s, n, i) => s + (n - 1) * strides[i]!, 0);
  if (last >= storage.numel && count > 0) throw new Error(`${path}: a tensor reaches element ${last} of a storage of ${storage.numel}`);
  const values = storage.values();
  // the usual case, a tensor that is its whole storage in row-major order: no copy
  const rowMajor = shape.every((_, d) => shape[d] === 1 || strides[d] === shape.slice(d + 1).reduce((a, b) => a * b, 1));
  if (offset === 0 && rowMajor && count === values.length) return { shape, data: values };
  const data = new Float32Array(count);
  // copy the strided view into a contiguous array, last dimension fastest
  const index = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < count; i++) {
    let at = offset;
    for (let d = 0; d < shape.length; d++) at += index[d]! * strides[d]!;
    data[i] = values[at]!;
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++index[d]! < shape[d]!) break;
      index[d] = 0;
    }
  }
  return { shape, data };
}
