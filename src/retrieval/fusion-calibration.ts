// Hybrid fusion that calibrates itself, never from the labels of the queries being evaluated.
// Calibration queries come from what a user has without labels:
//   pairs   --calibration-pairs FILE (query<TAB>positive, e.g. a sample of the training pairs)
//   corpus  pseudo-queries cut from the corpus itself (inverse cloze, as unsupervised retrievers
//           train): a span of a long text, or a short text with a share of its words dropped;
//           its source text is its one relevant text
// A calibration corpus is a seeded sample of the corpus plus every calibration positive; dense and
// BM25 rank it, and every candidate fusion (RRF with k and weights on a grid, and a convex
// combination of min-max normalised scores) is scored by Recall@10, then MRR@10. The best
// candidate is used only when it beats the better single retriever (more positives in the top 10,
// or as many and MRR@10 higher by MRR_MARGIN); otherwise that retriever is.
import { Bm25Index, type Bm25Params } from '../lexical/bm25-index.js';
import { Random } from '../util/random.js';
import { ExactIndex } from '../vectors/exact.js';
import type { Hit } from '../vectors/topk.js';
import { Bm25Retriever, DenseRetriever, fuseTwo, type HybridOptions, type RetrieverKind } from './retriever.js';
import type { TextEmbedder } from './text-embedder.js';

export const FUSION_FORMAT = 'inbatch-fusion';
export const MIN_CALIBRATION_QUERIES = 50;
export const CALIBRATION_CUTOFF = 10;
/** MRR@10 points (of 100) a fusion must gain over the better retriever when both find as many positives */
export const MRR_MARGIN = 0.5;

export type { CalibrationQuery } from '../data/calibration-pairs.js';
import type { CalibrationQuery } from '../data/calibration-pairs.js';
export { CALIBRATION_PAIRS_FILE, MODEL_CALIBRATION_PAIRS, sampleCalibrationPairs, formatCalibrationPairs } from '../data/calibration-pairs.js';

export interface CalibrationOptions {
  /** calibration queries made from the corpus (when no pairs are given) */
  queries: number;
  /** texts of the corpus sampled into the calibration corpus, besides the positives */
  corpusSample: number;
  /** ranks of each retriever fused */
  depth: number;
  seed: number;
}

export const DEFAULT_CALIBRATION: CalibrationOptions = { queries: 300, corpusSample: 20_000, depth: 100, seed: 1 };

interface Scores { recall: number; mrr: number }

export interface FusionFit {
  format: typeof FUSION_FORMAT;
  version: 1;
  /** what ranks: the fusion, or the better single retriever when no fusion beat it */
  retriever: RetrieverKind;
  hybrid: HybridOptions;
  reason: string;
  calibration: {
    source: string;
    queries: number;
    corpus: number;
    seed: number;
    candidates: number;
    /** Recall@10 and MRR@10 (percent) on the calibration queries */
    dense: Scores;
    bm25: Scores;
    fused: Scores;
  };
  /** what the fit belongs to (the index's model and corpus): a fit of another is not reused */
  fingerprint?: unknown;
}

/** The candidate fusions, in the order ties are decided (the first of equals wins). */
export function fusionCandidates(depth: number): HybridOptions[] {
  const weights = [0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8, 0.1, 0.9];
  const out: HybridOptions[] = [];
  for (const k of [60, 20, 10, 40, 100, 5]) for (const w of weights) out.push({ method: 'rrf', rrfK: k, denseWeight: w, bm25Weight: 1 - w, depth });
  for (const w of weights) out.push({ method: 'convex', rrfK: 60, denseWeight: w, bm25Weight: 1 - w, depth });
  return out;
}

const WORD_SPLIT = /\s+/u;

/** A pseudo-query cut from a text, or undefined when the text is too short to cut. */
export function pseudoQuery(text: string, random: Random): string | undefined {
  const words = text.split(WORD_SPLIT).filter(Boolean);
  const byWords = words.length >= 6;
  const units = byWords ? words : Array.from(text.replace(/\s+/gu, ''));
  if (units.length < 4) return undefined;
  const join = (u: string[]) => u.join(byWords ? ' ' : '');
  if (units.length >= 24) {
    const len = Math.max(8, Math.min(24, Math.round(units.length * 0.25)));
    const start = Math.floor(random.next() * (units.length - len + 1));
    return join(units.slice(start, start + len));
  }
  const kept = units.filter(() => random.next() >= 0.4);
  return kept.length >= 3 && kept.length < units.length ? join(kept) : join(units.slice(0, Math.max(3, Math.ceil(units.length * 0.6))));
}

/** Seeded distinct positions of [0, n), `count` of them (all when count >= n). */
function sampleIds(n: number, count: number, random: Random): number[] {
  if (count >= n) return Array.from({ length: n }, (_, i) => i);
  const picked = new Set<number>();
  while (picked.size < count) picked.add(Math.floor(random.next() * n));
  return [...picked].sort((a, b) => a - b);
}

/** Longest median-length ratio at which training positives still count as texts of the corpus's kind. */
export const KIND_RATIO = 2;

const median = (v: number[]) => { const s = [...v].sort((a, b) => a - b); return s.length ? s[Math.floor(s.length / 2)]! : 0; };

/**
 * Whether training pairs can stand for a corpus's queries: their positives must be texts of the
 * corpus's kind, judged by median length (within a factor of KIND_RATIO). A model trained on short
 * question pairs says nothing about how its queries meet long passages, and would fit a fusion for
 * the wrong task.
 */
export function pairsFitCorpus(pairs: CalibrationQuery[], corpus: { size: number; textOf(id: number): string }, seed: number): { fits: boolean; pairsMedian: number; corpusMedian: number } {
  const pairsMedian = median(pairs.map((p) => Array.from(p.positive).length));
  const corpusMedian = median(sampleIds(corpus.size, 1000, new Random(seed)).map((id) => Array.from(corpus.textOf(id)).length));
  const ratio = Math.max(pairsMedian, corpusMedian) / Math.max(1, Math.min(pairsMedian, corpusMedian));
  return { fits: ratio <= KIND_RATIO, pairsMedian, corpusMedian };
}

/** Pseudo-queries from the corpus, each with its source text as the positive. */
export function corpusCalibration(size: number, textOf: (id: number) => string, o: CalibrationOptions): CalibrationQuery[] {
  const random = new Random(o.seed);
  const out: CalibrationQuery[] = [];
  for (const id of sampleIds(size, Math.min(size, o.queries * 3), random)) {
    if (out.length >= o.queries) break;
    const positive = textOf(id);
    const query = pseudoQuery(positive, random);
    if (query && query !== positive) out.push({ query, positive });
  }
  return out;
}

function scoresOf(rankings: Hit[][], relevant: (q: number, id: number) => boolean): Scores {
  let hits = 0, rr = 0;
  rankings.forEach((list, q) => {
    const rank = list.slice(0, CALIBRATION_CUTOFF).findIndex((h) => relevant(q, h.id));
    if (rank >= 0) { hits++; rr += 1 / (rank + 1); }
  });
  return { recall: (100 * hits) / rankings.length, mrr: (100 * rr) / rankings.length };
}

const better = (a: Scores, b: Scores) => a.recall > b.recall || (a.recall === b.recall && a.mrr > b.mrr);

export interface FusionChoice {
  retriever: RetrieverKind;
  hybrid: HybridOptions;
  dense: Scores;
  bm25: Scores;
  fused: Scores;
  candidates: number;
}

/**
 * The best candidate fusion of two rankings per query (each best first, `depth` long), by Recall@10
 * then MRR@10 on what `relevant` says; the better single retriever when no fusion beats it.
 */
export function chooseFusion(dense: Hit[][], bm25: Hit[][], relevant: (q: number, id: number) => boolean, depth: number): FusionChoice {
  const single = { dense: scoresOf(dense, relevant), bm25: scoresOf(bm25, relevant) };
  const candidates = fusionCandidates(depth);
  let best = candidates[0]!, fused = { recall: -1, mrr: -1 };
  for (const c of candidates) {
    const s = scoresOf(dense.map((d, q) => fuseTwo(d, bm25[q]!, c, CALIBRATION_CUTOFF)), relevant);
    if (better(s, fused)) { best = c; fused = s; }
  }
  const strongest: 'dense' | 'bm25' = better(single.bm25, single.dense) ? 'bm25' : 'dense';
  // a fusion must find more positives in the top 10, or as many and rank them clearly higher
  const best1 = single[strongest];
  const wins = fused.recall > best1.recall || (fused.recall === best1.recall && fused.mrr >= best1.mrr + MRR_MARGIN);
  return { retriever: wins ? 'hybrid' : strongest, hybrid: best, ...single, fused, candidates: candidates.length };
}

/**
 * Fits the fusion of the model `embedder` and BM25 (bm25Params) for a corpus, on calibration
 * queries: refused when there are fewer than MIN_CALIBRATION_QUERIES or neither retriever finds any positive.
 */
export async function fitFusion(embedder: TextEmbedder, corpus: { size: number; textOf(id: number): string }, queries: CalibrationQuery[], source: string,
  bm25Params: Bm25Params, o: CalibrationOptions = DEFAULT_CALIBRATION): Promise<FusionFit> {
  if (queries.length < MIN_CALIBRATION_QUERIES) throw new Error(`calibration (${source}): ${queries.length} queries, fewer than the ${MIN_CALIBRATION_QUERIES} a fusion is fitted on; give more with --calibration-pairs, or pass explicit --hybrid-weights`);
  const random = new Random(o.seed + 1);
  const texts = [...new Set([...queries.map((q) => q.positive), ...sampleIds(corpus.size, o.corpusSample, random).map((id) => corpus.textOf(id))])];
  const vectors = new ExactIndex(embedder.dim, texts.length);
  for (let i = 0; i < texts.length; i += 1024) vectors.add(await embedder.embed(texts.slice(i, i + 1024)));
  const dense = await new DenseRetriever(vectors, embedder).search(queries.map((q) => q.query), o.depth);
  const bm25 = await new Bm25Retriever(Bm25Index.build(texts, bm25Params)).search(queries.map((q) => q.query), o.depth);
  const c = chooseFusion(dense, bm25, (q, id) => texts[id] === queries[q]!.positive, o.depth);
  if (c.dense.recall === 0 && c.bm25.recall === 0) throw new Error(`calibration (${source}): neither retriever finds any of the ${queries.length} positives in its top ${CALIBRATION_CUTOFF}; the calibration queries are degenerate`);
  const fmt = (s: Scores) => `Recall@10 ${s.recall.toFixed(1)}, MRR@10 ${s.mrr.toFixed(1)}`;
  return {
    format: FUSION_FORMAT, version: 1, retriever: c.retriever, hybrid: c.hybrid,
    reason: c.retriever === 'hybrid'
      ? `the fusion (${fmt(c.fused)}) beats dense (${fmt(c.dense)}) and bm25 (${fmt(c.bm25)}) on the calibration queries`
      : `no fusion beats ${c.retriever} alone on the calibration queries (${c.retriever}: ${fmt(c[c.retriever])}; best fusion: ${fmt(c.fused)}): ${c.retriever} is used`,
    calibration: { source, queries: queries.length, corpus: texts.length, seed: o.seed, candidates: c.candidates, dense: c.dense, bm25: c.bm25, fused: c.fused },
  };
}

/** One line for people: what was fitted, on what. */
export function describeFusion(fit: FusionFit): string {
  const h = fit.hybrid;
  const what = fit.retriever !== 'hybrid' ? `${fit.retriever} only`
    : h.method === 'rrf' ? `RRF k ${h.rrfK}, weights dense ${h.denseWeight.toFixed(1)} / bm25 ${h.bm25Weight.toFixed(1)}` : `convex min-max, weights dense ${h.denseWeight.toFixed(1)} / bm25 ${h.bm25Weight.toFixed(1)}`;
  return `hybrid fusion: ${what} (${fit.calibration.queries} calibration queries from ${fit.calibration.source}, seed ${fit.calibration.seed}): ${fit.reason}`;
}
