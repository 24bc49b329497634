// What a training run is told: plain data (saved in every checkpoint), and the hooks a
// caller may attach (never saved).
import type { DualEncoder } from '../model/dual-encoder.js';
import type { ProcessGroup } from '../torch/index.js';
import type { MatryoshkaPlan } from './inbatch-negatives.js';

/**
 * Matryoshka self-distillation's weight unless told (0 = the prefixes' in-batch losses only). Chosen on a tuning
 * split (README): 1 and 3 both raised the 64-d prefix's Recall@10 by about a point over 0.
 */
export const DEFAULT_MATRYOSHKA_DISTILL = 1;

/**
 * The share of the run before the false-negative score rule applies, unless told. The rule judges with the
 * model being trained: from random initialisation its early "scores above the positive" are its hardest true
 * negatives (about 100 of 4,032 per step in the README's runs, falling to a few by a third of the run).
 */
export const FALSE_NEGATIVE_WARMUP_SHARE = 0.3;

export interface TrainOptions {
  saveDir: string;
  batchSize: number;
  learningRate: number;
  epochs: number;
  maxSteps?: number;
  margin: number;
  scale: number;
  /** false-negative masking: a negative scoring above its row's positive + this (or with the positive's text) leaves the softmax */
  falseNegativeMargin?: number;
  /** JSON Lines of the strongest masked suspects (query, positive, masked text, scores) */
  falseNegativeLog?: string;
  /** steps before the score rule applies (text equality is masked from the start); by default a share of the run */
  falseNegativeWarmup?: number;
  /** logQ correction: subtract log q(title) from every logit, q counted over the training titles */
  logqCorrection?: boolean;
  /** keep the last N titles of earlier steps as extra negatives (0/undefined: off) */
  memoryBankSize?: number;
  /** steps before the bank's entries are used (it fills meanwhile); by default 5 % of the run */
  memoryBankWarmup?: number;
  /** dual bank (ContAccum): keep each entry's query too, as extra rows of the loss */
  memoryBankQueries?: boolean;
  /** Matryoshka: train these prefix dimensions (the output size among them) */
  matryoshkaDims?: number[];
  /** their weights in the loss (default 1 each) */
  matryoshkaWeights?: number[];
  /** self-distillation: weight of KL(full dimension || prefix) per shorter prefix */
  matryoshkaDistill?: number;
  /** checkpoint every N steps (0: only at the end or on interruption) */
  saveSteps: number;
  warmupProportion: number;
  weightDecay: number;
  maxGradNorm: number;
  seed: number;
  groupByLength: boolean;
  /** GradCache: embed the batch in chunks of this many rows (one chunk's graph in memory at a time) */
  gradCacheChunkSize?: number;
  /** pad every batch to this length instead of its longest row (the fixed-length baseline) */
  padToMaxLength?: number;
  loggingSteps: number;
  /** evaluate every N steps; by default at the end of every epoch */
  evalSteps?: number;
  /** the evaluator score that picks model_best */
  bestMetric: string;
  /** redraw loss.svg every N steps (and at every evaluation) */
  chartSteps: number;
  /** how many step checkpoints to keep (oldest removed first) */
  keepCheckpoints: number;
  /** resume from the latest checkpoint in saveDir (true), or from this checkpoint folder */
  resume?: boolean | string;
  /** start over in a save dir that holds another run's checkpoints (they are deleted) */
  overwrite?: boolean;
  quiet?: boolean;
  /** stop near this many seconds: after a few steps the total is re-estimated so the schedule still ends at zero */
  timeBudgetSeconds?: number;
}

export const DEFAULT_TRAIN_OPTIONS: Omit<TrainOptions, 'saveDir'> = {
  batchSize: 64,
  learningRate: 5e-5,
  epochs: 3,
  margin: 0.2,
  scale: 30,
  saveSteps: 10000,
  warmupProportion: 0,
  weightDecay: 0,
  maxGradNorm: 5,
  seed: 1000,
  groupByLength: true,
  loggingSteps: 10,
  bestMetric: 'success_at_5',
  chartSteps: 200,
  keepCheckpoints: 2,
};

/** Scores of one evaluation, e.g. {success_at_5: 97.9}. */
export interface EvalResult {
  scores: Record<string, number>;
  /** Matryoshka runs: Recall@10 (percent) at each trained dimension, stored in the model's config */
  recallAt10ByDimension?: Record<string, number>;
}

/** Anything that scores the model during training (retrieval/RecallEvaluator is one). */
export interface Evaluator {
  evaluate(model: DualEncoder): Promise<EvalResult> | EvalResult;
}

export interface StepLog {
  step: number;
  epoch: number;
  /** mean loss since the previous log */
  loss: number;
  lr: number;
  grad_norm: number;
  pairs_per_s: number;
  tokens_per_s: number;
  /** with --false-negative-margin: negatives masked since the previous log */
  false_negatives_masked?: number;
  /** with --memory-bank-size: bank entries used as negatives at the logged step */
  bank_negatives?: number;
}

export interface TrainHooks {
  evaluator?: Evaluator;
  /** data-parallel training: this process is one rank of the group; --batch-size is per rank, rank 0 writes */
  processGroup?: ProcessGroup;
  /** when aborted (e.g. on SIGINT), the trainer writes a checkpoint at the current step and returns */
  signal?: AbortSignal;
  /** after every optimisation step */
  onStep?: (state: Readonly<TrainerState>) => void;
  /** at every logged step */
  onLog?: (record: Readonly<StepLog>) => void;
  onEvaluate?: (step: number, result: EvalResult, isBest: boolean) => void;
  onCheckpoint?: (step: number, dir: string) => void;
  /** files written into model_best and model_final beside the weights (name -> content) */
  modelFiles?: Record<string, string>;
  /** what the model card says of where the run came from (the command, the base model, the data's names) */
  provenance?: { command: string; baseModel?: string; datasets: string[] };
}

export interface TrainerState {
  /** random id of the run, kept across resumes */
  runId: string;
  /** which data the run trains on (training-data.ts) */
  dataFingerprint: string;
  /** data-parallel workers (1: one process); a resume must keep it, the data order depends on it */
  worldSize?: number;
  globalStep: number;
  epoch: number;
  batchInEpoch: number;
  totalSteps: number;
  /** best evaluator score so far (bestMetric) and its step */
  bestScore: number | null;
  bestStep: number | null;
  seed: number;
}

/** Range checks for every option; each message names the option. */
export function validateTrainOptions(o: TrainOptions): void {
  const int = (name: keyof TrainOptions, min: number) => {
    const v = o[name];
    if (v === undefined) return;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new RangeError(`${name} must be an integer >= ${min}, got ${String(v)}`);
  };
  const real = (name: keyof TrainOptions, test: (v: number) => boolean, what: string) => {
    const v = o[name];
    if (typeof v !== 'number' || !Number.isFinite(v) || !test(v)) throw new RangeError(`${name} must be ${what}, got ${String(v)}`);
  };
  int('batchSize', 2); // in-batch negatives need other rows
  int('epochs', 1);
  int('maxSteps', 1);
  int('saveSteps', 0);
  int('loggingSteps', 1);
  int('evalSteps', 1);
  int('chartSteps', 1);
  int('keepCheckpoints', 1);
  int('seed', 0);
  int('padToMaxLength', 1);
  int('gradCacheChunkSize', 1);
  real('learningRate', (v) => v > 0, '> 0');
  real('warmupProportion', (v) => v >= 0 && v <= 1, 'in [0, 1]');
  real('weightDecay', (v) => v >= 0, '>= 0');
  real('maxGradNorm', (v) => v >= 0, '>= 0 (0 disables clipping)');
  real('scale', (v) => v > 0, '> 0');
  real('margin', (v) => v >= 0, '>= 0');
  if (o.falseNegativeMargin !== undefined && !(Number.isFinite(o.falseNegativeMargin) && o.falseNegativeMargin >= -1 && o.falseNegativeMargin <= 2)) {
    throw new RangeError(`falseNegativeMargin (--false-negative-margin) must be in [-1, 2] (cosines differ by at most 2; below -1 nearly every negative would be masked), got ${o.falseNegativeMargin}`);
  }
  if (o.timeBudgetSeconds !== undefined) real('timeBudgetSeconds', (v) => v > 0, '> 0');
  int('memoryBankSize', 0);
  int('memoryBankWarmup', 0);
  int('falseNegativeWarmup', 0);
  if (o.falseNegativeWarmup !== undefined && o.falseNegativeMargin === undefined) throw new RangeError('falseNegativeWarmup (--false-negative-warmup) needs --false-negative-margin');
  if (o.memoryBankWarmup !== undefined && !o.memoryBankSize) throw new RangeError('memoryBankWarmup (--memory-bank-warmup) needs --memory-bank-size');
  if (o.memoryBankQueries && !o.memoryBankSize) throw new RangeError('memoryBankQueries (--memory-bank-queries) needs --memory-bank-size');
  if (o.matryoshkaWeights && !o.matryoshkaDims) throw new RangeError('matryoshkaWeights (--matryoshka-weights) needs --matryoshka-dims');
  if (o.matryoshkaDistill !== undefined && !o.matryoshkaDims) throw new RangeError('matryoshkaDistill (--matryoshka-distill) needs --matryoshka-dims');
  if (o.matryoshkaDims) matryoshkaPlan(o.matryoshkaDims, o.matryoshkaWeights, o.matryoshkaDistill);
}

/**
 * The dimensions of a Matryoshka run, largest first, with their weights; refused by name when they are not
 * distinct positive integers or their weights do not match. Checked against the model's output size by
 * checkMatryoshkaDims, once the model is known.
 */
export function matryoshkaPlan(dims: number[], weights?: number[], distill = DEFAULT_MATRYOSHKA_DISTILL): MatryoshkaPlan {
  if (!dims.length || dims.some((d) => !Number.isInteger(d) || d < 1)) throw new RangeError(`matryoshkaDims (--matryoshka-dims) must be positive integers, got ${dims.join(',')}`);
  if (new Set(dims).size !== dims.length) throw new RangeError(`matryoshkaDims (--matryoshka-dims) lists a dimension twice: ${dims.join(',')}`);
  for (let i = 1; i < dims.length; i++) {
    if (dims[i]! >= dims[i - 1]!) throw new RangeError(`matryoshkaDims (--matryoshka-dims) must go from the output size down (each a prefix of the one before), got ${dims.join(',')}`);
  }
  const w = weights ?? dims.map(() => 1);
  if (w.length !== dims.length || w.some((x) => !Number.isFinite(x) || x < 0) || !w.some((x) => x > 0)) {
    throw new RangeError(`matryoshkaWeights (--matryoshka-weights) must be ${dims.length} non-negative numbers, not all 0, one per dimension; got ${w.join(',')}`);
  }
  if (!(Number.isFinite(distill) && distill >= 0 && distill <= 100)) throw new RangeError(`matryoshkaDistill (--matryoshka-distill) must be in [0, 100], got ${distill}`);
  return { dims, weights: w, distill };
}

/** The Matryoshka dimensions against the model: the first must be its output size, none larger. */
export function checkMatryoshkaDims(dims: number[], outputSize: number): void {
  const larger = dims.filter((d) => d > outputSize);
  if (larger.length) throw new RangeError(`matryoshkaDims (--matryoshka-dims) ${larger.join(',')} larger than the model's output size ${outputSize}`);
  if (dims[0] !== outputSize) throw new RangeError(`matryoshkaDims (--matryoshka-dims) must start with the model's output size ${outputSize} (the full embedding is trained too), got ${dims.join(',')}`);
}

/** Refuses a bank that would take more than a quarter of the memory free now. */
export function checkBankFits(size: number, dim: number, freeBytes: number, dual = false): void {
  const bytes = size * (dim * 4 + 8) * (dual ? 2 : 1);
  if (bytes > freeBytes / 4) {
    throw new RangeError(`memoryBankSize (--memory-bank-size) ${size} x ${dim} dimensions${dual ? ' (titles and queries)' : ''} needs ${(bytes / 2 ** 20).toFixed(0)} MiB (and its logits per step), more than a quarter of the ${(freeBytes / 2 ** 20).toFixed(0)} MiB free`);
  }
}
