type Growable = Uint16Array | Uint32Array | Int32Array | Float64Array;

/** A larger copy of a typed array (at least `atLeast` long, 1.5x when that is more), for append-only buffers. */
export function grow<T extends Growable>(a: T, atLeast: number): T {
  const next = new (a.constructor as new (n: number) => T)(Math.max(atLeast, Math.ceil(a.length * 1.5)));
  next.set(a);
  return next;
}
