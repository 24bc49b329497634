// The training loop: sampler -> model -> loss -> clip -> AdamW, with a linear
// schedule, atomic checkpoints that resume exactly, evaluation and logs.
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as T from '../torch/index.js';
import type { DualEncoder } from '../model/dual-encoder.js';
import { saveModel, writeModelFiles } from '../model/folder.js';
import { readSafetensors, writeSafetensors, type NamedArray } from '../model/safetensors.js';
import { padBatch, type PaddedBatch } from '../text/collate.js';
import { writeDirAtomic, writeFileAtomic } from '../util/atomic.js';
import { Progress } from '../util/progress.js';
import { lineChartSvg } from '../eval/svg-chart.js';
import { AdamW } from './adamw.js';
import { clipGradNorm } from './clip.js';
import { inBatchNegativesLoss } from './inbatch-negatives.js';
import { planEpoch, type EpochPlan, type SamplerReport } from './sampler.js';
import { linearWarmupDecay } from './schedule.js';
import type { TrainingData } from './training-data.js';

export interface TrainOptions {
  saveDir: string;
  batchSize: number;
  learningRate: number;
  epochs: number;
  maxSteps?: number;
  margin: number;
  scale: number;
  saveSteps: number;
  warmupProportion: number;
  weightDecay: number;
  maxGradNorm: number;
  seed: number;
  groupByLength: boolean;
  /** pad every batch to this length instead of its longest row (the fixed-length baseline) */
  padToMaxLength?: number;
  loggingSteps: number;
  /** evaluate every N steps; by default at the end of every epoch */
  evalSteps?: number;
  /** how many step checkpoints to keep (oldest removed first) */
  keepCheckpoints: number;
  /** resume from the latest checkpoint in saveDir, or from this checkpoint folder */
  resume?: boolean | string;
  quiet?: boolean;
  /** when aborted (e.g. on SIGINT), the trainer writes a checkpoint at the current step and returns */
  signal?: AbortSignal;
  /** stop near this many seconds: after a few steps the total is re-estimated so the schedule still ends at zero */
  timeBudgetSeconds?: number;
  /** called after every optimisation step */
  onStep?: (state: Readonly<TrainerState>) => void;
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
  keepCheckpoints: 2,
};

export interface EvalResult {
  /** cutoff -> Recall@cutoff in percent */
  recall: Record<number, number>;
}

export interface Evaluator {
  evaluate(model: DualEncoder): Promise<EvalResult> | EvalResult;
}

export interface TrainerState {
  globalStep: number;
  epoch: number;
  batchInEpoch: number;
  totalSteps: number;
  bestRecallAt5: number | null;
  bestStep: number | null;
  seed: number;
}

export interface TrainResult {
  state: TrainerState;
  finalLoss: number;
  sampler: SamplerReport;
  evaluations: { step: number; recall: Record<number, number> }[];
  finalDir: string;
  interrupted?: boolean;
}

export const LOG_FILE = 'train_log.jsonl';

function optimizerTensors(opt: AdamW): Map<string, NamedArray> {
  const out = new Map<string, NamedArray>();
  for (const [name, t] of opt.expAvg) out.set(`exp_avg.${name}`, { shape: t.shape, data: T.toFloat32(t) });
  for (const [name, t] of opt.expAvgSq) out.set(`exp_avg_sq.${name}`, { shape: t.shape, data: T.toFloat32(t) });
  return out;
}

export function listCheckpoints(saveDir: string): { step: number; dir: string }[] {
  if (!existsSync(saveDir)) return [];
  return readdirSync(saveDir)
    .map((name) => /^checkpoint-(\d+)$/.exec(name))
    .filter((m): m is RegExpExecArray => m !== null && existsSync(join(saveDir, m[0], 'trainer_state.json')))
    .map((m) => ({ step: Number(m[1]), dir: join(saveDir, m[0]) }))
    .sort((a, b) => a.step - b.step);
}

function restore(model: DualEncoder, opt: AdamW, dir: string): TrainerState {
  const state = JSON.parse(readFileSync(join(dir, 'trainer_state.json'), 'utf8')) as TrainerState;
  const weights = readSafetensors(join(dir, 'model.safetensors')).tensors;
  const moments = readSafetensors(join(dir, 'optimizer.safetensors'));
  T.noGrad(() => T.tidy(() => {
    for (const [name, p] of model.params) {
      const w = weights.get(name);
      if (!w) throw new Error(`${dir}: checkpoint lacks ${name}`);
      T.copy_(p, T.fromData(w.data, w.shape));
    }
    for (const [prefix, target] of [['exp_avg', opt.expAvg], ['exp_avg_sq', opt.expAvgSq]] as const) {
      for (const [name, t] of target) {
        const m = moments.tensors.get(`${prefix}.${name}`);
        if (!m) throw new Error(`${dir}: optimizer state lacks ${prefix}.${name}`);
        T.copy_(t, T.fromData(m.data, m.shape));
      }
    }
  }));
  opt.step = Number(moments.metadata.step ?? state.globalStep);
  return state;
}

export class Trainer {
  readonly options: TrainOptions;
  private readonly optimizer: AdamW;
  readonly plans: EpochPlan[];
  totalSteps: number;

  constructor(readonly model: DualEncoder, readonly data: TrainingData, options: Partial<TrainOptions> & { saveDir: string }, readonly evaluator?: Evaluator) {
    this.options = { ...DEFAULT_TRAIN_OPTIONS, ...options };
    const o = this.options;
    if (o.batchSize < 2) throw new Error('batch_size must be at least 2: in-batch negatives need other rows');
    model.setTrainable(true);
    this.optimizer = new AdamW(model.trainableParameters(), { weightDecay: o.weightDecay });
    this.plans = [];
    for (let e = 0; e < o.epochs; e++) {
      this.plans.push(planEpoch(data.keys, data.lengths, { batchSize: o.batchSize, seed: o.seed, groupByLength: o.groupByLength }, e));
    }
    const planned = this.plans.reduce((n, p) => n + p.batches.length, 0);
    this.totalSteps = o.maxSteps !== undefined && o.maxSteps > 0 ? Math.min(o.maxSteps, planned) : planned;
  }

  get samplerReport(): SamplerReport {
    return this.plans[0]?.report ?? { deferred: 0, dropped: 0 };
  }

  /** The padded query and title batches of a list of row indices. */
  collate(rows: number[]): { queries: PaddedBatch; titles: PaddedBatch } {
    const d = this.data;
    const pad = this.model.tokenizer.padId;
    const r = rows.map((i) => d.rows[i]!);
    const titles = r.map((x) => x.positive).concat(r.filter((x) => x.hardNegative !== undefined).map((x) => x.hardNegative!));
    return {
      queries: padBatch(r.map((x) => d.encodings[x.query]!), pad, this.options.padToMaxLength),
      titles: padBatch(titles.map((t) => d.encodings[t]!), pad, this.options.padToMaxLength),
    };
  }

  /** One optimisation step on a list of row indices; returns loss and grad norm. */
  step(rows: number[], lr: number, stepSeed: number): { loss: number; gradNorm: number; tokens: number } {
    const { queries, titles } = this.collate(rows);
    T.manualSeed(stepSeed); // dropout masks depend only on (seed, step): resumes are exact
    const loss = T.tidy(() => {
      const q = this.model.forward(queries, true);
      const t = this.model.forward(titles, true);
      const l = inBatchNegativesLoss(q, t, { margin: this.options.margin, scale: this.options.scale });
      T.backward(l);
      return T.item(l);
    });
    const gradNorm = clipGradNorm(this.optimizer.params.map(([, p]) => p), this.options.maxGradNorm);
    this.optimizer.update(lr);
    this.optimizer.zeroGrad();
    return { loss, gradNorm, tokens: queries.tokens + titles.tokens };
  }

  private saveCheckpoint(state: TrainerState): string {
    const dir = join(this.options.saveDir, `checkpoint-${state.globalStep}`);
    writeDirAtomic(dir, (tmp) => {
      writeModelFiles(this.model, tmp);
      writeSafetensors(join(tmp, 'optimizer.safetensors'), optimizerTensors(this.optimizer), { step: String(this.optimizer.step) });
      writeFileSync(join(tmp, 'trainer_state.json'), JSON.stringify({ ...state, options: this.options }, null, 2));
    });
    const all = listCheckpoints(this.options.saveDir);
    for (const old of all.slice(0, Math.max(0, all.length - this.options.keepCheckpoints))) rmSync(old.dir, { recursive: true, force: true });
    return dir;
  }

  /** Steps that fit in the time left, measured from the steps run since `firstStep` (the schedule then ends at zero on time). */
  private stepsWithinBudget(state: TrainerState, firstStep: number, loopStart: number, budget: number): number {
    const elapsed = (Date.now() - loopStart) / 1000;
    const perStep = elapsed / (state.globalStep - firstStep);
    const planned = this.plans.reduce((n, p) => n + p.batches.length, 0);
    const fit = state.globalStep + Math.floor((budget - elapsed) / perStep);
    return Math.max(state.globalStep + 1, Math.min(planned, this.options.maxSteps ?? planned, fit));
  }

  async train(): Promise<TrainResult> {
    const o = this.options;
    mkdirSync(o.saveDir, { recursive: true });
    const logPath = join(o.saveDir, LOG_FILE);
    let state: TrainerState = { globalStep: 0, epoch: 0, batchInEpoch: 0, totalSteps: this.totalSteps, bestRecallAt5: null, bestStep: null, seed: o.seed };
    if (o.resume) {
      const dir = typeof o.resume === 'string' ? resolve(o.resume) : listCheckpoints(o.saveDir).at(-1)?.dir;
      if (dir) {
        state = { ...restore(this.model, this.optimizer, dir), totalSteps: this.totalSteps };
        if (!o.quiet) process.stderr.write(`resuming from ${dir} at step ${state.globalStep}\n`);
      } else if (!o.quiet) process.stderr.write(`no checkpoint in ${o.saveDir}; starting from scratch\n`);
    }
    if (state.globalStep === 0) writeFileSync(logPath, '');
    const log = (record: object) => appendFileSync(logPath, JSON.stringify({ time: new Date().toISOString(), ...record }) + '\n');
    if (state.globalStep === 0) log({ event: 'start', total_steps: this.totalSteps, pairs: this.data.rows.length, sampler: this.samplerReport, options: o });

    let warmup = Math.floor(this.totalSteps * o.warmupProportion);
    const loopStart = Date.now();
    const firstStep = state.globalStep;
    const progress = new Progress('train', this.totalSteps, 'step', o.quiet);
    const evaluations: TrainResult['evaluations'] = [];
    const window = { loss: 0, steps: 0, pairs: 0, tokens: 0, start: Date.now() };
    let lastLoss = NaN;

    const evaluate = async () => {
      if (!this.evaluator) return;
      this.model.setTrainable(false);
      const { recall } = await this.evaluator.evaluate(this.model);
      this.model.setTrainable(true);
      evaluations.push({ step: state.globalStep, recall });
      log({ event: 'eval', step: state.globalStep, epoch: state.epoch, recall });
      const r5 = recall[5] ?? 0;
      if (state.bestRecallAt5 === null || r5 > state.bestRecallAt5) {
        state.bestRecallAt5 = r5;
        state.bestStep = state.globalStep;
        saveModel(this.model, join(o.saveDir, 'model_best'));
        log({ event: 'best', step: state.globalStep, recall_at_5: r5 });
      }
      if (!o.quiet) process.stderr.write(`\neval step ${state.globalStep}: ${Object.entries(recall).map(([k, v]) => `R@${k} ${v.toFixed(2)}`).join(' ')}${state.bestStep === state.globalStep ? ' (best)' : ''}\n`);
    };

    outer: for (; state.epoch < this.plans.length; state.epoch++, state.batchInEpoch = 0) {
      const plan = this.plans[state.epoch]!;
      for (; state.batchInEpoch < plan.batches.length; ) {
        if (state.globalStep >= this.totalSteps) break outer;
        const lr = linearWarmupDecay(state.globalStep, o.learningRate, warmup, this.totalSteps);
        const rows = plan.batches[state.batchInEpoch]!;
        const r = this.step(rows, lr, o.seed * 7919 + state.globalStep);
        if (!Number.isFinite(r.loss)) throw new Error(`loss became ${r.loss} at step ${state.globalStep + 1}; lower the learning rate or check the data`);
        state.globalStep++;
        state.batchInEpoch++;
        lastLoss = r.loss;
        window.loss += r.loss; window.steps++; window.pairs += rows.length; window.tokens += r.tokens;
        if (state.globalStep % o.loggingSteps === 0 || state.globalStep === this.totalSteps) {
          const seconds = (Date.now() - window.start) / 1000;
          const record = {
            step: state.globalStep, epoch: state.epoch, loss: window.loss / window.steps, lr, grad_norm: r.gradNorm,
            pairs_per_s: window.pairs / seconds, tokens_per_s: window.tokens / seconds,
          };
          log(record);
          progress.update(state.globalStep, { loss: record.loss, lr, 'pairs/s': record.pairs_per_s }, true);
          Object.assign(window, { loss: 0, steps: 0, pairs: 0, tokens: 0, start: Date.now() });
        }
        if (o.saveSteps > 0 && state.globalStep % o.saveSteps === 0) this.saveCheckpoint(state);
        if (o.evalSteps && state.globalStep % o.evalSteps === 0) await evaluate();
        // with a time budget, refit the total at step 10 and every 50 steps after
        const sinceStart = state.globalStep - firstStep;
        if (o.timeBudgetSeconds && sinceStart >= 10 && sinceStart % 50 === 10) {
          const total = this.stepsWithinBudget(state, firstStep, loopStart, o.timeBudgetSeconds);
          if (total !== this.totalSteps) {
            this.totalSteps = state.totalSteps = total;
            warmup = Math.floor(total * o.warmupProportion);
            progress.setTotal(total);
            log({ event: 'time_budget', seconds: o.timeBudgetSeconds, total_steps: total });
          }
        }
        o.onStep?.(state);
        if (o.signal?.aborted) {
          const dir = this.saveCheckpoint(state);
          log({ event: 'interrupted', step: state.globalStep, checkpoint: dir });
          progress.done(state.globalStep, { loss: lastLoss });
          if (!o.quiet) process.stderr.write(`interrupted: checkpoint written to ${dir}; continue with --resume\n`);
          return { state, finalLoss: lastLoss, sampler: this.samplerReport, evaluations, finalDir: dir, interrupted: true };
        }
      }
      if (!o.evalSteps && state.batchInEpoch >= plan.batches.length) await evaluate();
    }
    if (o.evalSteps && evaluations.at(-1)?.step !== state.globalStep) await evaluate();
    progress.done(state.globalStep, { loss: lastLoss });
    const finalDir = join(o.saveDir, 'model_final');
    saveModel(this.model, finalDir);
    log({ event: 'end', step: state.globalStep, best_step: state.bestStep, best_recall_at_5: state.bestRecallAt5 });
    writeLossChart(o.saveDir);
    return { state, finalLoss: lastLoss, sampler: this.samplerReport, evaluations, finalDir };
  }
}

/** Draws loss.svg (and recall.svg when evaluations were logged) from the JSONL log. */
export function writeLossChart(saveDir: string): void {
  const lines = readFileSync(join(saveDir, LOG_FILE), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  const steps = lines.filter((l) => typeof l.loss === 'number' && typeof l.step === 'number');
  writeFileAtomic(join(saveDir, 'loss.svg'), lineChartSvg([{ name: 'train loss', points: steps.map((l) => [l.step as number, l.loss as number]) }], {
    title: 'In-batch negatives loss', xLabel: 'step', yLabel: 'loss',
  }));
  const evals = lines.filter((l) => l.event === 'eval');
  if (evals.length) {
    const cutoffs = Object.keys(evals[0]!.recall as object);
    writeFileAtomic(join(saveDir, 'recall.svg'), lineChartSvg(cutoffs.map((k) => ({
      name: `Recall@${k}`, points: evals.map((e) => [e.step as number, (e.recall as Record<string, number>)[k]!]),
    })), { title: 'Dev recall during training', xLabel: 'step', yLabel: 'recall (%)' }));
  }
}
