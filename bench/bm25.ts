// bench/bm25: the BM25 index at corpus scale. Builds N short Chinese texts (halves of two random
// texts of ../shared/data/zh-sim-pairs/train.tsv, joined; random CJK strings without the shared data),
// then, each in a fresh process for its peak RSS:
//   inbatch   Bm25Index (typed arrays): build seconds, queries/s over 2,000 queries (top 10), peak RSS
//   reference the textbook layout in JS objects (Map term -> Map doc -> tf), same analyzer and formula
//             in float64, at the smaller sizes only; its top 10 must equal inbatch's (exactness; inbatch
//             keeps each posting's length-normalised tf factor in float32)
//   npm run bench:bm25 [-- --sizes 200000,1000000 --reference-max 200000]
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Analyzer } from '../src/lexical/analyzer.js';
import { Bm25Index } from '../src/lexical/bm25-index.js';
import { Random } from '../src/util/random.js';
import { sharedData } from './common.js';

const arg = (name: string, fallback: string) => { const i = process.argv.indexOf(`--${name}`); return i >= 0 ? process.argv[i + 1]! : fallback; };
const QUERIES = 2000;

function corpus(n: number, seed: number): string[] {
  const source = join(sharedData, 'zh-sim-pairs', 'train.tsv');
  const random = new Random(seed);
  const pick = (a: string[]) => a[Math.floor(random.next() * a.length)]!;
  if (existsSync(source)) {
    const base = readFileSync(source, 'utf8').split('\n').flatMap((l) => l.split('\t')).filter(Boolean);
    return Array.from({ length: n }, () => { const a = pick(base), b = pick(base); return a.slice(0, a.length >> 1) + b.slice(b.length >> 1); });
  }
  return Array.from({ length: n }, () => Array.from({ length: 8 + Math.floor(random.next() * 12) }, () => String.fromCodePoint(0x4e00 + Math.floor(random.next() * 3000))).join(''));
}

/** The layout BM25 libraries in JS commonly use: per-term Maps of per-document counts. */
class ObjectBm25 {
  postings = new Map<string, Map<number, number>>();
  lengths: number[] = [];
  constructor(texts: string[], readonly k1 = 1.2, readonly b = 0.75) {
    const analyzer = new Analyzer();
    texts.forEach((t, d) => {
      const terms = analyzer.terms(t);
      this.lengths.push(terms.length);
      for (const term of terms) {
        const m = this.postings.get(term) ?? new Map<number, number>();
        m.set(d, (m.get(d) ?? 0) + 1);
        this.postings.set(term, m);
      }
    });
  }

  search(query: string, k: number): { id: number; score: number }[] {
    const n = this.lengths.length, avg = this.lengths.reduce((a, b) => a + b, 0) / n;
    const scores = new Map<number, number>();
    for (const term of new Analyzer().terms(query)) {
      const docs = this.postings.get(term);
      if (!docs) continue;
      const idf = Math.log(1 + (n - docs.size + 0.5) / (docs.size + 0.5));
      for (const [d, tf] of docs) scores.set(d, (scores.get(d) ?? 0) + idf * (tf * (this.k1 + 1)) / (tf + this.k1 * (1 - this.b + this.b * this.lengths[d]! / avg)));
    }
    return [...scores].map(([id, score]) => ({ id, score })).sort((a, b) => b.score - a.score || a.id - b.id).slice(0, k);
  }
}

function measure(kind: string, n: number): void {
  const texts = corpus(n, 1);
  const queries = corpus(QUERIES, 2);
  let t = performance.now();
  const index = kind === 'inbatch' ? Bm25Index.build(texts) : new ObjectBm25(texts);
  const buildSeconds = (performance.now() - t) / 1000;
  t = performance.now();
  const top = queries.map((q) => index instanceof Bm25Index ? index.searchOne(q, 10) : index.search(q, 10));
  const qps = QUERIES / ((performance.now() - t) / 1000);
  // the rankings, to compare the two implementations: the same ids, scores within float32 rounding
  const digest = top.map((h) => h.map((x) => x.id).join(',')).join(';');
  const scores = top.flatMap((h) => h.map((x) => x.score));
  console.log(JSON.stringify({ buildSeconds, qps, rssMb: process.resourceUsage().maxRSS / 1024, digest, scores }));
}

if (process.argv[2] === '--measure') {
  measure(process.argv[3]!, Number(process.argv[4]));
} else {
  const sizes = arg('sizes', '200000,1000000').split(',').map(Number);
  const referenceMax = Number(arg('reference-max', '200000'));
  const run = (kind: string, n: number) => {
    const r = spawnSync(process.execPath, ['--max-old-space-size=16000', process.argv[1]!, '--measure', kind, String(n)], { encoding: 'utf8', maxBuffer: 1 << 30 });
    if (r.status !== 0) throw new Error(r.stderr);
    return JSON.parse(r.stdout) as { buildSeconds: number; qps: number; rssMb: number; digest: string; scores: number[] };
  };
  console.log(`| texts | inbatch build s | inbatch queries/s | inbatch peak RSS MB | reference build s | reference queries/s | reference peak RSS MB | build x | queries x | RSS x | same top 10 (max score diff) |`);
  console.log('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const n of sizes) {
    const ours = run('inbatch', n);
    const ref = n <= referenceMax ? run('reference', n) : undefined;
    const f = (v: number | undefined, d = 1) => (v === undefined ? '-' : v.toFixed(d));
    console.log(`| ${n.toLocaleString('en')} | ${f(ours.buildSeconds)} | ${f(ours.qps, 0)} | ${f(ours.rssMb, 0)} | ${f(ref?.buildSeconds)} | ${f(ref?.qps, 0)} | ${f(ref?.rssMb, 0)} | ` +
      `${ref ? (ours.buildSeconds / ref.buildSeconds).toFixed(2) : '-'} | ${ref ? (ours.qps / ref.qps).toFixed(2) : '-'} | ${ref ? (ours.rssMb / ref.rssMb).toFixed(2) : '-'} | ${ref ? `${ours.digest === ref.digest ? 'yes' : 'NO'} (${Math.max(...ours.scores.map((v, i) => Math.abs(v - ref.scores[i]!))).toExponential(1)})` : '-'} |`);
  }
}
