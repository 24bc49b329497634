// How `--retriever hybrid` ranks, from the flags: explicit --hybrid-weights as given; `auto` (the
// default) fitted on calibration queries (--calibration-pairs, else the sample of its training
// pairs the model folder carries, else pseudo-queries cut from the corpus), never on the queries being evaluated, reused from fusion.json beside an index when it
// was fitted for the same model, corpus and calibration, and written there otherwise.
import { createHash } from 'node:crypto';
import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Bm25Params } from '../lexical/bm25-index.js';
import { CALIBRATION_PAIRS_FILE, corpusCalibration, describeFusion, fitFusion, FUSION_FORMAT, pairsFitCorpus, sampleCalibrationPairs, type FusionFit } from '../retrieval/fusion-calibration.js';
import { DEFAULT_HYBRID, type HybridOptions, type RetrieverKind } from '../retrieval/retriever.js';
import type { TextEmbedder } from '../retrieval/text-embedder.js';
import { writeFileAtomic } from '../util/atomic.js';
import { readJsonObject } from '../util/json-file.js';
import { UsageError, type RetrievalFlags } from './flags.js';

export const FUSION_FILE = 'fusion.json';

export interface RetrieverChoice {
  kind: RetrieverKind;
  hybrid: HybridOptions;
  /** the fitted fusion, when auto chose it */
  fit?: FusionFit;
}

export interface FusionContext {
  corpus: { size: number; textOf(id: number): string };
  /** the model behind the dense ranking (none: bm25 only) */
  embedder?: TextEmbedder;
  /** an index folder: fusion.json is read from and written to it */
  indexDir?: string;
  /** identifies the model and corpus a saved fit belongs to */
  fingerprint: unknown;
  /** files being evaluated: never calibration data */
  evaluated: string[];
  /** the model folder: its calibration_pairs.tsv (a sample of its training pairs) is the default calibration */
  modelDir?: string;
}

export async function chooseRetriever(f: RetrievalFlags, c: FusionContext): Promise<RetrieverChoice> {
  const bm25Params: Bm25Params = { k1: f.bm25K1, b: f.bm25B };
  if (f.retriever !== 'hybrid') return { kind: f.retriever, hybrid: DEFAULT_HYBRID };
  if (f.hybridWeights !== 'auto') {
    return { kind: 'hybrid', hybrid: { method: f.fusionMethod, rrfK: f.rrfK, denseWeight: f.hybridWeights[0]!, bm25Weight: f.hybridWeights[1]!, depth: f.fusionDepth } };
  }
  if (!c.embedder) throw new UsageError('--retriever hybrid needs --model (the dense half)');
  if (f.calibrationPairs && c.evaluated.some((e) => resolve(e) === resolve(f.calibrationPairs!))) {
    throw new UsageError(`--calibration-pairs ${f.calibrationPairs} is the file being evaluated: a fusion fitted on the evaluated queries' labels would be reported as if it were not`);
  }
  const modelPairs = c.modelDir && existsSync(join(c.modelDir, CALIBRATION_PAIRS_FILE)) ? join(c.modelDir, CALIBRATION_PAIRS_FILE) : undefined;
  const pairsFile = f.calibrationPairs ?? modelPairs;
  const calibration = { queries: f.calibrationQueries, corpusSample: 20_000, depth: f.fusionDepth, seed: f.calibrationSeed };
  // the pairs by content, so a copy (the export's calibration_pairs.tsv beside the model's) reuses the fit
  const fingerprint = { of: c.fingerprint, corpus: c.corpus.size, bm25: bm25Params, calibration: { pairs: pairsFile ? contentKey(pairsFile) : null, ...calibration } };
  const saved = c.indexDir ? readSavedFit(join(c.indexDir, FUSION_FILE), fingerprint) : undefined;
  let fit = saved;
  if (!fit) {
    let queries = pairsFile ? await sampleCalibrationPairs(pairsFile, calibration.queries, calibration.seed) : undefined;
    let source = f.calibrationPairs ? `pairs ${f.calibrationPairs}` : `the model's training pairs (${modelPairs})`;
    if (queries && !f.calibrationPairs) {
      // the model's own pairs stand for this corpus's queries only when their texts are of its kind
      const kind = pairsFitCorpus(queries, c.corpus, calibration.seed);
      if (!kind.fits) {
        console.error(`the model's training positives (median ${kind.pairsMedian} characters) are not texts like this corpus's (median ${kind.corpusMedian}): pseudo-queries cut from the corpus calibrate instead`);
        queries = undefined;
      }
    }
    if (!queries) {
      queries = corpusCalibration(c.corpus.size, (id) => c.corpus.textOf(id), calibration);
      source = 'pseudo-queries cut from the corpus';
    }
    fit = { ...(await fitFusion(c.embedder, c.corpus, queries, source, bm25Params, calibration)), fingerprint };
    if (c.indexDir) saveFit(c.indexDir, fit);
  }
  console.error(`${saved ? 'reused ' : ''}${describeFusion(fit)}`);
  return { kind: fit.retriever, hybrid: { ...fit.hybrid, depth: f.fusionDepth }, fit };
}

/** Writes fusion.json into an index folder. */
export function saveFit(indexDir: string, fit: FusionFit): void {
  writeFileAtomic(join(indexDir, FUSION_FILE), JSON.stringify(fit, null, 2) + '\n');
}

/** A saved fit, when it belongs to this model, corpus and calibration. */
export function readSavedFit(path: string, fingerprint?: unknown): FusionFit | undefined {
  if (!existsSync(path)) return undefined;
  const json = readJsonObject(path);
  if (json.format !== FUSION_FORMAT || json.version !== 1) throw new Error(`${path}: not an ${FUSION_FORMAT} v1 file`);
  const fit = json as unknown as FusionFit;
  const h = fit.hybrid as Partial<HybridOptions> | undefined;
  const weight = (w: unknown) => typeof w === 'number' && Number.isFinite(w) && w >= 0;
  if (!['dense', 'bm25', 'hybrid'].includes(fit.retriever) || !h || !['rrf', 'convex'].includes(h.method!) || !weight(h.rrfK) || !weight(h.denseWeight) || !weight(h.bm25Weight)
    || !(h.denseWeight! > 0 || h.bm25Weight! > 0) || typeof fit.calibration !== 'object' || fit.calibration === null) {
    throw new Error(`${path}: not a valid fitted fusion (retriever, hybrid.method, rrfK and weights)`);
  }
  if (fingerprint !== undefined && JSON.stringify(json.fingerprint) !== JSON.stringify(fingerprint)) return undefined;
  return fit;
}

/** A file's size and the sha256 of its first 4 MiB: what it holds, wherever it lies. */
function contentKey(file: string): string {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const head = Buffer.alloc(Math.min(size, 4 << 20));
    readSync(fd, head, 0, head.length, 0);
    return `${size}:${createHash('sha256').update(head).digest('hex').slice(0, 32)}`;
  } finally {
    closeSync(fd);
  }
}
