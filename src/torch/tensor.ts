// A typed handle on a libtorch tensor, with scope-based disposal (tidy) so that
// training loops free activations deterministically instead of waiting for GC.
import { loadNative, type NativeTensor } from './native.js';

export type DType = 'float32' | 'float64' | 'float16' | 'bfloat16' | 'int64' | 'int32' | 'bool' | 'uint8';
export type TensorData = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array | Uint16Array;

const scopes: Set<Tensor>[] = [];

export class Tensor {
  readonly native: NativeTensor;
  private disposed = false;

  constructor(native: NativeTensor) {
    this.native = native;
    const scope = scopes[scopes.length - 1];
    if (scope) scope.add(this);
    else loadNative().trackMemory(native); // only the GC will free it: tell V8 its size
  }

  get shape(): number[] { return loadNative().shape(this.native); }
  get dtype(): DType { return loadNative().dtype(this.native); }
  get device(): string { return loadNative().device(this.native); }
  get requiresGrad(): boolean { return loadNative().requiresGrad(this.native); }
  get isDisposed(): boolean { return this.disposed; }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    loadNative().dispose(this.native);
  }
}

function collect(value: unknown, into: Set<Tensor>): void {
  if (value instanceof Tensor) into.add(value);
  else if (Array.isArray(value)) for (const v of value) collect(v, into);
  else if (value instanceof Map) for (const v of value.values()) collect(v, into);
  else if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) collect(v, into);
  }
}

/** Runs fn; disposes every tensor created inside except those reachable from its result. */
export function tidy<R>(fn: () => R): R {
  const scope = new Set<Tensor>();
  scopes.push(scope);
  let result: R;
  try {
    result = fn();
  } catch (e) {
    for (const t of scope) t.dispose();
    throw e;
  } finally {
    scopes.pop();
  }
  const kept = new Set<Tensor>();
  collect(result, kept);
  const outer = scopes[scopes.length - 1];
  for (const t of scope) {
    if (!kept.has(t)) t.dispose();
    else if (outer) outer.add(t);
    else loadNative().trackMemory(t.native);
  }
  return result;
}

/** Removes a tensor from the enclosing tidy scopes so that it outlives them. */
export function keep<T extends Tensor>(t: T): T {
  for (const s of scopes) s.delete(t);
  loadNative().trackMemory(t.native);
  return t;
}
