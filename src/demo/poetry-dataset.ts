// A Chinese retrieval set from the chinese-poetry package (MIT; Tang poems):
// query = the first line of a couplet, positive = the line that follows it.
// Whole poems are held out for the dev set, and every line of a held-out poem is in the corpus.
import { readdirSync } from 'node:fs';
import { resolvePackageFile } from '../util/lazy-module.js';
import { dirname, join } from 'node:path';
import { Random } from '../util/random.js';
import { readJsonFile } from '../util/json-file.js';

export interface Couplet { first: string; second: string }

export interface PoetryDataset {
  train: Couplet[];
  dev: Couplet[];
  corpus: string[];
  poems: { train: number; dev: number };
  /** the held-out poems, each as its couplets */
  devPoems: Couplet[][];
  characters: string[];
}

function tangFiles(): string[] {
  let pkg: string;
  try {
    pkg = dirname(resolvePackageFile('chinese-poetry/package.json'));
  } catch {
    throw new Error('the demo needs the npm package chinese-poetry (350 MB, a development dependency: npm ci in a clone installs it; elsewhere run npm install chinese-poetry)');
  }
  const dir = join(pkg, 'dist', 'quantangshi');
  return readdirSync(dir)
    .map((f) => /^poet\.tang\.(\d+)\.json$/.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .sort((a, b) => Number(a[1]) - Number(b[1]))
    .map((m) => join(dir, m[0]));
}

const LINE_END = /[。！？；!?;]+$/u;

/** Couplets of one poem: each paragraph "上句，下句。" gives one. */
export function coupletsOf(paragraphs: string[]): Couplet[] {
  const out: Couplet[] = [];
  for (const p of paragraphs) {
    for (const sentence of p.split(/(?<=[。！？；])/u)) {
      const halves = sentence.replace(LINE_END, '').split(/[，,]/u).map((s) => s.trim());
      if (halves.length === 2 && halves[0]!.length >= 3 && halves[1]!.length >= 3 && !/[□\[\]（）()]/u.test(sentence)) {
        out.push({ first: halves[0]!, second: halves[1]! });
      }
    }
  }
  return out;
}

export function buildPoetryDataset(maxPoems: number, devPoems: number, seed = 7): PoetryDataset {
  const poems: Couplet[][] = [];
  for (const file of tangFiles()) {
    const list = readJsonFile(file) as { paragraphs?: string[] }[];
    for (const poem of list) {
      const couplets = coupletsOf(poem.paragraphs ?? []);
      if (couplets.length) poems.push(couplets);
      if (poems.length >= maxPoems) break;
    }
    if (poems.length >= maxPoems) break;
  }
  if (poems.length <= devPoems) throw new Error(`only ${poems.length} poems found; need more than ${devPoems} to hold some out`);
  const order = new Random(seed).shuffle(poems.map((_, i) => i));
  const devSet = new Set(order.slice(0, devPoems));
  const train: Couplet[] = [], dev: Couplet[] = [];
  poems.forEach((p, i) => (devSet.has(i) ? dev : train).push(...p));
  // a dev line must not appear in training, or the dev set measures memory
  const devLines = new Set(dev.flatMap((c) => [c.first, c.second]));
  const cleanTrain = train.filter((c) => !devLines.has(c.first) && !devLines.has(c.second));
  const corpus = [...new Set(dev.flatMap((c) => [c.first, c.second]))];
  const characters = [...new Set(cleanTrain.concat(dev).flatMap((c) => Array.from(c.first + c.second)))].sort();
  return { train: cleanTrain, dev, corpus, poems: { train: poems.length - devPoems, dev: devPoems }, devPoems: poems.filter((_, i) => devSet.has(i)), characters };
}
