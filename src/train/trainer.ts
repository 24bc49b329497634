// The training loop, nanoGPT-style: take the next batch, step, and maybe log, checkpoint,
// evaluate, redraw the charts; yield to the event loop after every step so signals, timers
// and servers in the same process keep running. The jobs around it live in their own files:
// checkpoint.ts, train-log.ts, best-model.ts, time-budget.ts, collapse-watch.ts, epochs.ts.
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { DualEncoder } from '../model/dual-encoder.js';
import { saveModel } from '../model/folder.js';
import * as T from '../torch/index.js';
import type { ProcessGroup } from '../torch/index.js';
import { removeStaleTemporaries } from '../util/atomic.js';
import { UsageError } from '../util/errors.js';
import { makeDir } from '../util/make-dir.js';
import { Progress } from '../util/progress.js';
import { AdamW } from './adamw.js';
import { BestModelTracker } from './best-model.js';
import { listCheckpoints, pruneCheckpoints, readCheckpointState, restoreCheckpoint, saveCheckpoint } from './checkpoint.js';
import { CollapseWatch } from './collapse-watch.js';
import { DEFAULT_TRAIN_OPTIONS, validateTrainOptions, type EvalResult, type StepLog, type TrainerState, type TrainHooks, type TrainOptions } from './options.js';
import { EpochSampler, type SamplerReport } from './sampler.js';
import { linearWarmupDecay } from './schedule.js';
import { TimeBudget } from './time-budget.js';
import { TrainLog, writeTrainingCharts } from './train-log.js';
import { distributedStep, rankShare } from './distributed-step.js';
import { checkReplay, gradCacheStep, type GradCacheResult } from './grad-cache.js';
import { batchTexts, trainStep, type StepResult } from './train-step.js';
import { padTokenLists } from '../text/collate.js';
import { textHash, type TrainingSource } from '../data/training-source.js';

export interface TrainResult {
  state: TrainerState;
  finalLoss: number;
  sampler: SamplerReport;
  evaluations: { step: number; scores: Record<string, number> }[];
  /** model_final, or the checkpoint written when interrupted */
  finalDir: string;
  interrupted?: boolean;
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export class Trainer {
  readonly options: TrainOptions;
  private readonly optimizer: AdamW;
  private sampler: EpochSampler | undefined;
  totalSteps: number;

  constructor(readonly model: DualEncoder, readonly data: TrainingSource, options: Partial<TrainOptions> & { saveDir: string }, readonly hooks: TrainHooks = {}) {
    this.options = { ...DEFAULT_TRAIN_OPTIONS, ...options };
    validateTrainOptions(this.options);
    const o = this.options;
    model.setTrainable(true);
    this.optimizer = new AdamW(model.trainableParameters(), { weightDecay: o.weightDecay });
    this.totalSteps = o.maxSteps !== undefined ? Math.min(o.maxSteps, this.plannedSteps()) : this.plannedSteps();
  }

  private get world(): number { return this.hooks.processGroup?.worldSize ?? 1; }
  /** rank 0, or the only process: the one that writes logs, checkpoints and models, and evaluates */
  private get lead(): boolean { return (this.hooks.processGroup?.rank ?? 0) === 0; }

  /** Steps of all epochs, estimated as full global batches (deferred rows change it by a batch or two). */
  private plannedSteps(): number {
    return Math.ceil(this.data.rows / (this.options.batchSize * this.world)) * this.options.epochs;
  }

  /** Rows deferred and dropped so far in the current epoch. */
  get samplerReport(): SamplerReport {
    return this.sampler?.report ?? { deferred: 0, dropped: 0 };
  }

  /** The sampler of an epoch, positioned at a batch (a resumed run replays the epoch's plan up to it). */
  private samplerAt(epoch: number, batch: number): EpochSampler {
    const o = this.options;
    // the sampler plans global batches exactly as one process with the global batch size would
    const sampler = new EpochSampler(this.data, { batchSize: o.batchSize * this.world, seed: o.seed, groupByLength: o.groupByLength }, epoch);
    sampler.skip(batch);
    return sampler;
  }

  async train(): Promise<TrainResult> {
    const o = this.options;
    const group = this.hooks.processGroup;
    const quiet = o.quiet || !this.lead;
    makeDir(o.saveDir);
    const stale = this.lead ? removeStaleTemporaries(o.saveDir) : [];
    if (stale.length && !quiet) process.stderr.write(`removed ${stale.length} unfinished folder(s) left by an interrupted write: ${stale.join(', ')}\n`);
    if (group) this.checkWorkersAgree(group);
    const state = group ? this.syncWithLead(group, this.startOrResume()) : this.startOrResume();
    const log: Pick<TrainLog, 'write'> = this.lead ? new TrainLog(o.saveDir, state.globalStep > 0 ? state.globalStep : undefined) : { write: () => undefined };
    if (state.globalStep === 0) log.write({ event: 'start', run_id: state.runId, data: state.dataFingerprint, total_steps: this.totalSteps, pairs: this.data.rows, options: o });
    const best = new BestModelTracker(o.bestMetric, state.bestScore, state.bestStep);
    const budget = o.timeBudgetSeconds ? new TimeBudget(o.timeBudgetSeconds, state.globalStep) : undefined;
    const collapse = new CollapseWatch(o.margin, o.scale);
    const progress = new Progress('train', this.totalSteps, 'step', quiet);
    const evaluations: TrainResult['evaluations'] = [];
    const window = { loss: 0, steps: 0, pairs: 0, tokens: 0, start: Date.now() };
    let lastLoss = NaN;

    let lastCheckpoint: { step: number; dir: string } | undefined;
    const checkpoint = () => {
      if (!this.lead) return join(o.saveDir, `checkpoint-${state.globalStep}`);
      if (lastCheckpoint?.step === state.globalStep) return lastCheckpoint.dir; // interrupted right after a periodic save
      const dir = saveCheckpoint(o.saveDir, this.model, this.optimizer, state, o);
      lastCheckpoint = { step: state.globalStep, dir };
      pruneCheckpoints(o.saveDir, o.keepCheckpoints);
      log.write({ event: 'checkpoint', step: state.globalStep, dir });
      this.hooks.onCheckpoint?.(state.globalStep, dir);
      return dir;
    };
    const evaluate = async () => {
      if (!this.lead) return;
      const result = await this.evaluate();
      if (!result) return;
      evaluations.push({ step: state.globalStep, scores: result.scores });
      const isBest = best.consider(state.globalStep, result);
      Object.assign(state, { bestScore: best.bestScore, bestStep: best.bestStep });
      log.write({ event: 'eval', step: state.globalStep, epoch: state.epoch, scores: result.scores, best: isBest });
      if (isBest) saveModel(this.model, join(o.saveDir, 'model_best'));
      writeTrainingCharts(o.saveDir);
      this.hooks.onEvaluate?.(state.globalStep, result, isBest);
      if (!quiet) process.stderr.write(`\neval step ${state.globalStep}: ${Object.entries(result.scores).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(' ')}${isBest ? ' (best)' : ''}\n`);
    };
    const logStep = (r: StepResult) => {
      const seconds = (Date.now() - window.start) / 1000;
      const record: StepLog = {
        step: state.globalStep, epoch: state.epoch, loss: window.loss / window.steps, lr: this.lr(state.globalStep - 1), grad_norm: r.gradNorm,
        pairs_per_s: window.pairs / seconds, tokens_per_s: window.tokens / seconds,
      };
      log.write({ ...record });
      this.hooks.onLog?.(record);
      progress.update(state.globalStep, { loss: record.loss, lr: record.lr, 'pairs/s': record.pairs_per_s }, true);
      Object.assign(window, { loss: 0, steps: 0, pairs: 0, tokens: 0, start: Date.now() });
    };

    this.sampler = this.samplerAt(state.epoch, state.batchInEpoch);
    while (state.globalStep < this.totalSteps && state.epoch < o.epochs) {
      const rows = this.sampler.next();
      if (!rows) {
        log.write({ event: 'epoch', epoch: state.epoch, sampler: this.sampler.report });
        if (!o.evalSteps) await evaluate();
        state.epoch++;
        state.batchInEpoch = 0;
        if (state.epoch < o.epochs) this.sampler = this.samplerAt(state.epoch, 0);
        continue;
      }
      const settings = { margin: o.margin, scale: o.scale, maxGradNorm: o.maxGradNorm, lr: this.lr(state.globalStep), stepSeed: o.seed * 7919 + state.globalStep };
      const [from, to] = group ? rankShare(rows.length, group.rank, group.worldSize) : [0, rows.length];
      const texts = batchTexts(this.data, rows.subarray(from, to));
      const padId = this.model.tokenizer.padId;
      const r = o.gradCacheChunkSize
        ? gradCacheStep(this.model, this.optimizer, texts, { ...settings, chunkSize: o.gradCacheChunkSize, padId, padTo: o.padToMaxLength, group, columns: this.data.columns })
        : group
        ? distributedStep(this.model, this.optimizer, texts, this.data.columns, group, { ...settings, padId, padTo: o.padToMaxLength })
        : trainStep(this.model, this.optimizer, { queries: padTokenLists(texts.queries, padId, o.padToMaxLength), titles: padTokenLists(texts.titles, padId, o.padToMaxLength) }, settings);
      const titleCount = texts.titles.length;
      if (!Number.isFinite(r.loss)) throw new Error(`loss became ${r.loss} at step ${state.globalStep + 1}; lower the learning rate or check the data`);
      const replayMaxDiff = (r as Partial<GradCacheResult>).replayMaxDiff;
      if (replayMaxDiff !== undefined) checkReplay(replayMaxDiff, state.globalStep + 1, T.getDefaultDevice());
      state.globalStep++;
      state.batchInEpoch++;
      lastLoss = r.loss;
      Object.assign(window, { loss: window.loss + r.loss, steps: window.steps + 1, pairs: window.pairs + rows.length, tokens: window.tokens + r.tokens });

      const warning = group ? undefined : collapse.observe(r.loss, titleCount);
      if (warning) { log.write({ event: 'warning', step: state.globalStep, message: warning }); if (!quiet) process.stderr.write(`\nwarning: ${warning}\n`); }
      if (state.globalStep % o.loggingSteps === 0 || state.globalStep === this.totalSteps) logStep(r);
      if (o.saveSteps > 0 && state.globalStep % o.saveSteps === 0) checkpoint();
      if (o.evalSteps && state.globalStep % o.evalSteps === 0) await evaluate();
      if (this.lead && state.globalStep % o.chartSteps === 0) writeTrainingCharts(o.saveDir);
      if (budget?.shouldRefit(state.globalStep)) {
        const fit = budget.totalSteps(state.globalStep, Math.min(this.plannedSteps(), o.maxSteps ?? Infinity));
        // every rank's clock gives its own fit: rank 0's is the run's, or the ranks would stop at different steps
        const total = group ? this.leadValues(group, [fit])[0]! : fit;
        if (total !== this.totalSteps) {
          this.totalSteps = state.totalSteps = total;
          progress.setTotal(total);
          log.write({ event: 'time_budget', seconds: o.timeBudgetSeconds, total_steps: total });
        }
      }
      this.hooks.onStep?.(state);
      await yieldToEventLoop();
      if (this.stopRequested()) {
        const dir = checkpoint();
        log.write({ event: 'interrupted', step: state.globalStep, checkpoint: dir });
        if (this.lead) writeTrainingCharts(o.saveDir);
        progress.done(state.globalStep, { loss: lastLoss });
        if (!quiet) process.stderr.write(`interrupted: checkpoint written to ${dir}; continue with --resume\n`);
        return { state, finalLoss: lastLoss, sampler: this.samplerReport, evaluations, finalDir: dir, interrupted: true };
      }
    }
    if (evaluations.at(-1)?.step !== state.globalStep) await evaluate(); // the final model is always scored
    progress.done(state.globalStep, { loss: lastLoss });
    const finalDir = join(o.saveDir, 'model_final');
    if (this.lead) {
      saveModel(this.model, finalDir);
      log.write({ event: 'end', step: state.globalStep, best_step: state.bestStep, best_score: state.bestScore, best_metric: o.bestMetric });
      writeTrainingCharts(o.saveDir);
    }
    return { state, finalLoss: lastLoss, sampler: this.samplerReport, evaluations, finalDir };
  }

  /** Every worker must train the same data with the same model and options: refused, naming a worker that differs. */
  private checkWorkersAgree(group: ProcessGroup): void {
    const o = this.options;
    const mine = textHash(JSON.stringify([this.data.fingerprint, this.model.config, o.batchSize, o.seed, o.groupByLength, o.epochs, o.maxSteps ?? null]));
    const all = T.tidy(() => Array.from(T.toData(group.allGather(T.fromData(Float64Array.from([mine]), [1]))) as Float64Array));
    const odd = all.findIndex((h) => h !== all[0]);
    if (odd >= 0) throw new UsageError(`worker rank ${odd} has other data, another model or other options than rank 0; every worker must be started alike`);
  }

  /**
   * Every rank continues from rank 0's point: its step and data position, weights and optimizer moments
   * are broadcast, so the machines of a run need not share the save folder (rank 0's holds the checkpoints).
   */
  private syncWithLead(group: ProcessGroup, state: TrainerState): TrainerState {
    const [globalStep, epoch, batchInEpoch, optimizerStep] = this.leadValues(group, [state.globalStep, state.epoch, state.batchInEpoch, this.optimizer.step]) as [number, number, number, number];
    for (const [, p] of this.model.params) group.broadcast_(p);
    for (const moments of [this.optimizer.expAvg, this.optimizer.expAvgSq]) for (const m of moments.values()) group.broadcast_(m);
    this.optimizer.step = optimizerStep;
    return { ...state, globalStep, epoch, batchInEpoch };
  }

  /** Rank 0's values of numbers each rank computed for itself. */
  private leadValues(group: ProcessGroup, values: number[]): number[] {
    const t = T.fromData(Float64Array.from(values), [values.length]);
    group.broadcast_(t, 0);
    const lead = Array.from(T.toData(t) as Float64Array);
    t.dispose();
    return lead;
  }

  /** Whether to stop now: with workers, every rank stops at the same step when any of them was signalled. */
  private stopRequested(): boolean {
    const mine = this.hooks.signal?.aborted ? 1 : 0;
    const group = this.hooks.processGroup;
    if (!group) return mine === 1;
    const flag = T.fromData(Float32Array.from([mine]), [1]);
    group.allReduce_(flag);
    const any = T.item(flag) > 0;
    flag.dispose();
    return any;
  }

  /** The learning rate of a step: linear warmup, then linear decay to zero at totalSteps. */
  private lr(step: number): number {
    const o = this.options;
    return linearWarmupDecay(step, o.learningRate, Math.floor(this.totalSteps * o.warmupProportion), this.totalSteps);
  }

  private startOrResume(): TrainerState {
    const o = this.options;
    const dataFingerprint = this.data.fingerprint;
    const fresh: TrainerState = {
      runId: randomBytes(8).toString('hex'), dataFingerprint, worldSize: this.world, globalStep: 0, epoch: 0, batchInEpoch: 0, totalSteps: this.totalSteps, bestScore: null, bestStep: null, seed: o.seed,
    };
    const existing = listCheckpoints(o.saveDir);
    if (!o.resume) {
      if (existing.length && !o.overwrite) {
        throw new UsageError(`${o.saveDir} holds checkpoints of an earlier run (steps ${existing.map((c) => c.step).join(', ')}); ` +
          'continue it with --resume, start over with --overwrite (its checkpoints are deleted), or choose another --save-dir');
      }
      if (this.lead) for (const c of existing) rmSync(c.dir, { recursive: true, force: true });
      return fresh;
    }
    const dir = typeof o.resume === 'string' ? resolve(o.resume) : existing.at(-1)?.dir;
    if (!dir) {
      if (!o.quiet && this.lead) process.stderr.write(`no checkpoint in ${o.saveDir}; starting from scratch\n`);
      return fresh;
    }
    const saved = readCheckpointState(dir);
    if (saved.dataFingerprint !== undefined && saved.dataFingerprint !== dataFingerprint) {
      throw new UsageError(`${dir} was trained on other data (${saved.dataFingerprint.split(':')[0]} rows, fingerprint ${saved.dataFingerprint}; now ${dataFingerprint}): it cannot be resumed on this --train-set`);
    }
    if ((saved.worldSize ?? 1) !== this.world) throw new UsageError(`${dir} was trained by ${saved.worldSize ?? 1} worker(s), now ${this.world}: a resumed run must keep the number of workers (the data order depends on it)`);
    for (const key of ['batchSize', 'seed', 'groupByLength'] as const) {
      const before = saved.options?.[key];
      if (before !== undefined && before !== o[key]) throw new UsageError(`${dir} was trained with ${key} ${before}, now ${o[key]}: a resumed run must keep it (the data order depends on it)`);
    }
    const state = { ...restoreCheckpoint(dir, this.model, this.optimizer), totalSteps: this.totalSteps };
    state.runId ??= fresh.runId;
    state.dataFingerprint ??= dataFingerprint;
    if (!o.quiet && this.lead) process.stderr.write(`resuming from ${dir} at step ${state.globalStep}\n`);
    return state;
  }

  private async evaluate(): Promise<EvalResult | undefined> {
    if (!this.hooks.evaluator) return undefined;
    this.model.setTrainable(false);
    try {
      return await this.hooks.evaluator.evaluate(this.model);
    } finally {
      this.model.setTrainable(true);
    }
  }
}
