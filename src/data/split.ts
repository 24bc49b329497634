// inbatch split: a search log or pair file (query<TAB>clicked text, any number of rows) -> a
// retrieval test set with no leakage, and the pairs left for training.
//   1. every row joins its query text and its positive text (union-find over 53-bit text hashes,
//      in typed arrays: no JS object per text); a component is a set of rows linked by a shared text
//   2. test components are drawn at random (seeded) until the test side has N queries; a component
//      larger than the largest allowed (a text shared by very many rows) is never drawn
//   3. a second pass writes the other rows to train.tsv and keeps the test rows (N queries)
// So no query text and no positive text of the test side appears anywhere on the train side (a
// hash collision can only merge components, never leak). The corpus is the test positives plus
// distractors: a --distractors file, or train-side positives sampled by a seeded reservoir.
import { createHash } from 'node:crypto';
import { createReadStream, mkdirSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { readJsonObject } from '../util/json-file.js';
import { Random } from '../util/random.js';
import { writeDirAtomicAsync, writeFileAtomicStreamedAsync } from '../util/atomic.js';
import { expandInputs, fileLines, pairRows } from './input-files.js';
import { textHash } from './training-source.js';
import { corpusText } from './corpus-file.js';

export const SPLIT_FORMAT = 'inbatch-split';

export interface SplitOptions {
  testQueries: number;
  seed: number;
  /** texts added to the corpus besides the test positives (default: train-side positives) */
  distractorsFile?: string;
  /** most distractors (from either source) */
  maxDistractors: number;
  /** a component with more queries than this is never a test component */
  maxComponentQueries: number;
}

export const DEFAULT_SPLIT: Omit<SplitOptions, 'testQueries'> = { seed: 1, maxDistractors: 100_000, maxComponentQueries: 50 };

export interface SplitManifest {
  format: typeof SPLIT_FORMAT;
  version: 1;
  inputs: string[];
  seed: number;
  rows: number;
  train_rows: number;
  test: { rows: number; queries: number; positives: number; distractors: number; corpus: number; qrels: number };
  components: { total: number; test: number; skipped_too_large: number };
  sha256: Record<string, string>;
}

/** Dense ids for text hashes: open addressing over a Float64Array of keys (0 = empty). */
class HashIds {
  private keys = new Float64Array(1 << 16);
  private ids = new Int32Array(1 << 16);
  size = 0;

  id(hash: number): number {
    if (this.size * 2 >= this.keys.length) this.rehash();
    const mask = this.keys.length - 1;
    for (let at = (hash % 4294967296 >>> 0) & mask; ; at = (at + 1) & mask) {
      if (this.keys[at] === hash) return this.ids[at]!;
      if (this.keys[at] === 0) { this.keys[at] = hash; this.ids[at] = this.size; return this.size++; }
    }
  }

  private rehash(): void {
    const { keys, ids } = this;
    this.keys = new Float64Array(keys.length * 2);
    this.ids = new Int32Array(keys.length * 2);
    const mask = this.keys.length - 1;
    for (let i = 0; i < keys.length; i++) {
      if (keys[i] === 0) continue;
      let at = (keys[i]! % 4294967296 >>> 0) & mask;
      while (this.keys[at] !== 0) at = (at + 1) & mask;
      this.keys[at] = keys[i]!; this.ids[at] = ids[i]!;
    }
  }
}

class UnionFind {
  parent = new Int32Array(1 << 16);

  ensure(n: number): void {
    if (n <= this.parent.length) return;
    const next = new Int32Array(Math.max(n, this.parent.length * 2));
    next.set(this.parent);
    for (let i = this.parent.length; i < next.length; i++) next[i] = i;
    this.parent = next;
  }

  constructor() { for (let i = 0; i < this.parent.length; i++) this.parent[i] = i; }

  find(x: number): number {
    const p = this.parent;
    while (p[x] !== x) { p[x] = p[p[x]!]!; x = p[x]!; }
    return x;
  }

  union(a: number, b: number): void {
    const ra = this.find(a), rb = this.find(b);
    if (ra !== rb) this.parent[Math.max(ra, rb)] = Math.min(ra, rb);
  }
}

function appendInt(a: Int32Array<ArrayBufferLike>, n: number, v: number): Int32Array<ArrayBufferLike> {
  if (n >= a.length) { const next = new Int32Array(a.length * 2); next.set(a); a = next; }
  a[n] = v;
  return a;
}

export async function splitPairs(inputs: string[], outDir: string, o: SplitOptions): Promise<SplitManifest> {
  const files = expandInputs(inputs);
  // pass 1: components of query and positive texts
  const ids = new HashIds(), uf = new UnionFind();
  let rowQuery: Int32Array<ArrayBufferLike> = new Int32Array(1 << 16);
  let n = 0;
  for await (const { cols } of pairRows(files)) {
    const q = ids.id(textHash(cols[0]!)), p = ids.id(textHash(cols[1]!));
    uf.ensure(ids.size);
    uf.union(q, p);
    rowQuery = appendInt(rowQuery, n++, q);
  }
  if (!n) throw new Error(`${inputs.join(', ')}: no pairs`);
  // queries per component (distinct query texts)
  const queriesIn = new Int32Array(ids.size);
  const seenQuery = new Uint8Array(ids.size);
  for (let r = 0; r < n; r++) {
    const q = rowQuery[r]!;
    if (!seenQuery[q]) { seenQuery[q] = 1; queriesIn[uf.find(q)]!++; }
  }
  // draw test components in a seeded random order of rows
  const random = new Random(o.seed);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) { const j = Math.floor(random.next() * (i + 1)); [order[i], order[j]] = [order[j]!, order[i]!]; }
  const isTest = new Uint8Array(ids.size);
  const looked = new Uint8Array(ids.size);
  let testQueries = 0, testComponents = 0, skipped = 0, components = 0;
  for (let i = 0; i < ids.size; i++) if (uf.find(i) === i && queriesIn[i]! > 0) components++;
  for (let k = 0; k < n && testQueries < o.testQueries; k++) {
    const root = uf.find(rowQuery[order[k]!]!);
    if (looked[root]) continue;
    looked[root] = 1;
    if (queriesIn[root]! > o.maxComponentQueries) { skipped++; continue; }
    isTest[root] = 1;
    testComponents++;
    testQueries += queriesIn[root]!;
  }
  if (testQueries < o.testQueries) throw new Error(`${inputs.join(', ')}: only ${testQueries} test queries can be held out without leakage (asked for ${o.testQueries})`);
  if (testComponents === components) throw new Error(`${inputs.join(', ')}: holding out ${o.testQueries} queries leaves no pairs for training`);

  // pass 2: train rows streamed out; test rows kept (they are the small side); distractors sampled
  const test = new Map<string, Set<string>>();
  const reservoir: string[] = [];
  let trainRows = 0, testRows = 0, seenPositives = 0;
  const distractorRandom = new Random(o.seed + 1);
  const manifest = { sha256: {} as Record<string, string> };
  await writeDirAtomicAsync(outDir, async (tmp) => {
    await writeFileAtomicStreamedAsync(join(tmp, 'train.tsv'), async (fd) => {
      let buffer = '';
      for await (const { cols, raw } of pairRows(files)) {
        if (isTest[uf.find(ids.id(textHash(cols[0]!)))]) {
          testRows++;
          const positives = test.get(cols[0]!) ?? new Set<string>();
          positives.add(cols[1]!);
          test.set(cols[0]!, positives);
          continue;
        }
        trainRows++;
        buffer += raw.replace(/\r$/, '') + '\n';
        if (buffer.length > 1 << 20) { writeSync(fd, buffer); buffer = ''; }
        if (!o.distractorsFile) seenPositives = sample(reservoir, cols[1]!, seenPositives, o.maxDistractors, distractorRandom);
      }
      writeSync(fd, buffer);
    });
    if (o.distractorsFile) {
      for await (const raw of fileLines(o.distractorsFile)) {
        const text = raw === null ? '' : corpusText(raw);
        if (text) seenPositives = sample(reservoir, text, seenPositives, o.maxDistractors, distractorRandom);
      }
    }
    writeTestSet(join(tmp, 'test'), test, reservoir);
    for (const name of ['train.tsv', 'test/queries.tsv', 'test/corpus.tsv', 'test/qrels.tsv', 'test/dev.tsv', 'test/corpus.txt']) {
      manifest.sha256[name] = await sha256(join(tmp, name));
    }
    const m = buildManifest(files, o, n, trainRows, testRows, test, reservoir, { total: components, test: testComponents, skipped_too_large: skipped }, manifest.sha256);
    writeFileSync(join(tmp, 'manifest.json'), JSON.stringify(m, null, 2) + '\n');
  });
  return readBack(outDir);
}

/** Reservoir sampling (Vitter's algorithm R): the k-th of a stream is kept with probability size/k. */
function sample(reservoir: string[], text: string, seen: number, size: number, random: Random): number {
  seen++;
  if (reservoir.length < size) reservoir.push(text);
  else {
    const j = Math.floor(random.next() * seen);
    if (j < size) reservoir[j] = text;
  }
  return seen;
}

interface TestCorpus { queries: string[]; corpus: string[]; qrels: [number, number][] }

/** Queries in first-seen order; corpus = test positives (first-seen order), then distractors not equal to any of them. */
function testCorpus(test: Map<string, Set<string>>, distractors: string[]): TestCorpus {
  const queries = [...test.keys()];
  const docId = new Map<string, number>();
  const qrels: [number, number][] = [];
  queries.forEach((q, qi) => {
    for (const p of test.get(q)!) {
      if (!docId.has(p)) docId.set(p, docId.size);
      qrels.push([qi, docId.get(p)!]);
    }
  });
  const testTexts = new Set([...queries, ...docId.keys()]);
  for (const d of distractors) if (!testTexts.has(d) && !docId.has(d)) docId.set(d, docId.size);
  return { queries, corpus: [...docId.keys()], qrels };
}

function writeTestSet(dir: string, test: Map<string, Set<string>>, distractors: string[]): void {
  const { queries, corpus, qrels } = testCorpus(test, distractors);
  const lines = (rows: string[]) => rows.map((r) => r + '\n').join('');
  mkdirSync(dir);
  writeFileSync(join(dir, 'queries.tsv'), lines(queries.map((q, i) => `q${i}\t${q}`)));
  writeFileSync(join(dir, 'corpus.tsv'), lines(corpus.map((d, i) => `d${i}\t${d}`)));
  writeFileSync(join(dir, 'qrels.tsv'), lines(qrels.map(([q, d]) => `q${q}\td${d}\t1`)));
  writeFileSync(join(dir, 'dev.tsv'), lines(qrels.map(([q, d]) => `${queries[q]}\t${corpus[d]}`)));
  writeFileSync(join(dir, 'corpus.txt'), lines(corpus));
}

function buildManifest(files: string[], o: SplitOptions, rows: number, trainRows: number, testRows: number, test: Map<string, Set<string>>, distractors: string[],
  components: SplitManifest['components'], sha256s: Record<string, string>): SplitManifest {
  const { queries, corpus, qrels } = testCorpus(test, distractors);
  const positives = new Set([...test.values()].flatMap((s) => [...s])).size;
  return {
    format: SPLIT_FORMAT, version: 1, inputs: files, seed: o.seed, rows, train_rows: trainRows,
    test: { rows: testRows, queries: queries.length, positives, distractors: corpus.length - positives, corpus: corpus.length, qrels: qrels.length },
    components, sha256: sha256s,
  };
}

async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function readBack(dir: string): SplitManifest {
  return readJsonObject(join(dir, 'manifest.json')) as unknown as SplitManifest;
}

/** Whether a folder is split's own output (safe to replace with another). */
export function isSplitFolder(dir: string): boolean {
  try {
    return readJsonObject(join(dir, 'manifest.json')).format === SPLIT_FORMAT;
  } catch {
    return false;
  }
}
