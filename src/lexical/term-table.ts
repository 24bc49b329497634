// The vocabulary of a BM25 index: term (a code-point sequence) <-> dense id, in typed arrays.
// Terms live end to end in one Uint32Array (`codes`, delimited by `offsets`); an open-addressing
// hash table of ids (linear probing, load <= 1/2) finds a term by comparing its codes, so lookups
// are exact (no hash collisions merge two terms) and a million terms cost no JS objects.

import { grow } from './grow.js';

const EMPTY = -1;

function hashCodes(codes: Uint32Array, start: number, length: number): number {
  let h = 0x811c9dc5 ^ length;
  for (let i = start; i < start + length; i++) {
    h = Math.imul(h ^ codes[i]!, 0x01000193);
    h ^= h >>> 15;
  }
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  return (h ^ (h >>> 13)) >>> 0;
}

export class TermTable {
  private codes: Uint32Array;
  private offsets: Float64Array;
  private slots: Int32Array;
  size = 0;

  constructor(expectedTerms = 1024) {
    this.codes = new Uint32Array(Math.max(16, expectedTerms * 2));
    this.offsets = new Float64Array(Math.max(16, expectedTerms + 1));
    this.slots = new Int32Array(nextPowerOfTwo(Math.max(16, expectedTerms * 2))).fill(EMPTY);
  }

  /** Id of the term, or -1 when it is not in the table. */
  find(codes: Uint32Array, start: number, length: number): number {
    const mask = this.slots.length - 1;
    for (let s = hashCodes(codes, start, length) & mask; ; s = (s + 1) & mask) {
      const id = this.slots[s]!;
      if (id === EMPTY || this.equals(id, codes, start, length)) return id;
    }
  }

  /** Id of the term, added when new. */
  intern(codes: Uint32Array, start: number, length: number): number {
    if ((this.size + 1) * 2 > this.slots.length) this.rehash(this.slots.length * 2);
    const mask = this.slots.length - 1;
    let s = hashCodes(codes, start, length) & mask;
    for (; ; s = (s + 1) & mask) {
      const id = this.slots[s]!;
      if (id === EMPTY) break;
      if (this.equals(id, codes, start, length)) return id;
    }
    const id = this.size++;
    const at = this.offsets[id]!;
    if (at + length > this.codes.length) this.codes = grow(this.codes, at + length);
    this.codes.set(codes.subarray(start, start + length), at);
    if (id + 2 > this.offsets.length) this.offsets = grow(this.offsets, id + 2);
    this.offsets[id + 1] = at + length;
    this.slots[s] = id;
    return id;
  }

  /** The codes of term id (a view: copy it to keep it). */
  term(id: number): Uint32Array {
    return this.codes.subarray(this.offsets[id]!, this.offsets[id + 1]!);
  }

  /** The table as two arrays (for saving): every term's codes end to end, and size + 1 offsets. */
  toArrays(): { codes: Uint32Array; offsets: Float64Array } {
    return { codes: this.codes.slice(0, this.offsets[this.size]!), offsets: this.offsets.slice(0, this.size + 1) };
  }

  /** Rebuilds a table from toArrays()' output; a repeated term is refused (the file is not one we wrote). */
  static fromArrays(codes: Uint32Array, offsets: Float64Array, where: string): TermTable {
    const terms = offsets.length - 1;
    if (terms < 0 || offsets[0] !== 0 || offsets[terms] !== codes.length) throw new Error(`${where}: term offsets do not cover the term codes`);
    const table = new TermTable(terms);
    for (let id = 0; id < terms; id++) {
      const start = offsets[id]!, end = offsets[id + 1]!;
      if (!Number.isInteger(end) || end < start || end - start > 256) throw new Error(`${where}: term ${id} has a bad extent [${start}, ${end})`);
      if (table.intern(codes, start, end - start) !== id) throw new Error(`${where}: term ${id} repeats an earlier term`);
    }
    return table;
  }

  private equals(id: number, codes: Uint32Array, start: number, length: number): boolean {
    const at = this.offsets[id]!;
    if (this.offsets[id + 1]! - at !== length) return false;
    for (let i = 0; i < length; i++) if (this.codes[at + i] !== codes[start + i]) return false;
    return true;
  }

  private rehash(slotCount: number): void {
    this.slots = new Int32Array(slotCount).fill(EMPTY);
    const mask = slotCount - 1;
    for (let id = 0; id < this.size; id++) {
      const at = this.offsets[id]!;
      let s = hashCodes(this.codes, at, this.offsets[id + 1]! - at) & mask;
      while (this.slots[s] !== EMPTY) s = (s + 1) & mask;
      this.slots[s] = id;
    }
  }
}

function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}
