// The training loop, nanoGPT-style: take the next batch, step (step.ts), and maybe log,
// checkpoint, evaluate, redraw the charts; yield to the event loop after every step so signals,
// timers and servers in the same process keep running. The jobs around it live in their own
// files: step.ts, workers.ts, checkpoint.ts, train-log.ts, best-model.ts, time-budget.ts, collapse-watch.ts.
import { randomBytes } from 'node:crypto';
import { freemem } from 'node:os';
import { appendFileSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { DualEncoder } from '../model/dual-encoder.js';
import { saveModel } from '../model/folder.js';
import { LOSS_CURVE_FILE, TRAINING_RECORD_FILE, type TrainingRecord } from '../model/model-card.js';
import * as T from '../torch/index.js';
import { removeStaleTemporaries } from '../util/atomic.js';
import { UsageError } from '../util/errors.js';
import { makeDir } from '../util/make-dir.js';
import { Progress } from '../util/progress.js';
import type { TrainingSource } from '../data/training-source.js';
import { AdamW } from './adamw.js';
import { batchTexts, type BatchTexts } from './batch.js';
import type { FalseNegativeStats, MatryoshkaPlan } from './inbatch-negatives.js';
import { BestModelTracker } from './best-model.js';
import { listCheckpoints, pruneCheckpoints, readCheckpointState, restoreCheckpoint, saveCheckpoint } from './checkpoint.js';
import { CollapseWatch } from './collapse-watch.js';
import { rankShare } from './gather.js';
import { checkReplay } from './grad-cache.js';
import { MemoryBank } from './memory-bank.js';
import { TitleFrequency } from './title-frequency.js';
import { checkBankFits, checkMatryoshkaDims, DEFAULT_TRAIN_OPTIONS, FALSE_NEGATIVE_WARMUP_SHARE, matryoshkaPlan, validateTrainOptions, type EvalResult, type StepLog, type TrainerState, type TrainHooks, type TrainOptions } from './options.js';
import { EpochSampler, type SamplerReport } from './sampler.js';
import { linearWarmupDecay } from './schedule.js';
import { trainStep, type StepResult } from './step.js';
import { TimeBudget } from './time-budget.js';
import { TrainLog, writeTrainingCharts } from './train-log.js';
import { anyRankStopping, checkWorkersAgree, leadValues, syncWithLead } from './workers.js';

export interface TrainResult {
  state: TrainerState;
  finalLoss: number;
  sampler: SamplerReport;
  evaluations: { step: number; scores: Record<string, number> }[];
  /** model_final, or the checkpoint written when interrupted */
  finalDir: string;
  interrupted?: boolean;
}

/** Options of the loss a resumed run must keep (and the flags that set them). */
const LOSS_OPTIONS = [
  ['falseNegativeMargin', '--false-negative-margin'], ['falseNegativeWarmup', '--false-negative-warmup'], ['logqCorrection', '--logq-correction'], ['memoryBankSize', '--memory-bank-size'],
  ['memoryBankWarmup', '--memory-bank-warmup'], ['memoryBankQueries', '--memory-bank-queries'], ['matryoshkaDims', '--matryoshka-dims'], ['matryoshkaWeights', '--matryoshka-weights'], ['matryoshkaDistill', '--matryoshka-distill'],
] as const;

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A step's result and how many titles its batch had (the collapse watch's log B). */
type DoneStep = StepResult & { titles: number };

/** What one call of train() carries from step to step. */
interface Run {
  state: TrainerState;
  log: Pick<TrainLog, 'write'>;
  quiet: boolean;
  best: BestModelTracker;
  budget?: TimeBudget;
  collapse: CollapseWatch;
  progress: Progress;
  evaluations: TrainResult['evaluations'];
  /** sums since the last logged step */
  window: { loss: number; steps: number; pairs: number; tokens: number; masked: number; start: number };
  lastLoss: number;
  lastCheckpoint?: { step: number; dir: string };
}

export class Trainer {
  readonly options: TrainOptions;
  private readonly optimizer: AdamW;
  private sampler: EpochSampler | undefined;
  totalSteps: number;
  /** the loss options' state: title counts (logQ), the memory bank, the Matryoshka plan */
  private titleFrequency: TitleFrequency | undefined;
  readonly bank: MemoryBank | undefined;
  private readonly matryoshka: MatryoshkaPlan | undefined;

  constructor(readonly model: DualEncoder, readonly data: TrainingSource, options: Partial<TrainOptions> & { saveDir: string }, readonly hooks: TrainHooks = {}) {
    this.options = { ...DEFAULT_TRAIN_OPTIONS, ...options };
    validateTrainOptions(this.options);
    const o = this.options;
    model.setTrainable(true);
    this.optimizer = new AdamW(model.trainableParameters(), { weightDecay: o.weightDecay });
    this.totalSteps = o.maxSteps !== undefined ? Math.min(o.maxSteps, this.plannedSteps()) : this.plannedSteps();
    if (o.matryoshkaDims) {
      checkMatryoshkaDims(o.matryoshkaDims, model.dim);
      this.matryoshka = matryoshkaPlan(o.matryoshkaDims, o.matryoshkaWeights, o.matryoshkaDistill);
      model.config.inbatch.matryoshka = { dims: [...this.matryoshka.dims] }; // saved with every checkpoint and model
    }
    // training without the option moves every prefix: what an earlier Matryoshka run measured no longer holds
    else delete model.config.inbatch.matryoshka;
    if (o.memoryBankSize) {
      checkBankFits(o.memoryBankSize, model.dim, freemem(), o.memoryBankQueries);
      this.bank = new MemoryBank(o.memoryBankSize, model.dim, o.memoryBankQueries);
    }
  }

  /** What one in-batch loss is multiplied by in the step's loss (Matryoshka sums one per dimension). */
  private get lossWeight(): number {
    return this.matryoshka ? this.matryoshka.weights.reduce((a, b) => a + b, 0) : 1;
  }

  /** Memory the loss options hold beside the model: the bank's ring and the title counts. */
  get lossStateBytes(): number {
    return (this.bank?.bytes ?? 0) + (this.titleFrequency?.bytes ?? 0);
  }

  /** Steps before the memory bank's entries are used: as asked, or 5 % of the run. */
  private get bankWarmup(): number {
    return this.options.memoryBankWarmup ?? Math.floor(0.05 * this.totalSteps);
  }

  /** Steps before the false-negative score rule applies: as asked, or a share of the run. */
  private get falseNegativeWarmup(): number {
    return this.options.falseNegativeWarmup ?? Math.floor(FALSE_NEGATIVE_WARMUP_SHARE * this.totalSteps);
  }

  /** The margin the step masks with: during the warm-up +Infinity (no score reaches it; equal texts are still masked). */
  private falseNegativeMarginAt(step: number): number | undefined {
    const d = this.options.falseNegativeMargin;
    return d === undefined || step >= this.falseNegativeWarmup ? d : Infinity;
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
    const run = this.begin();
    const { state } = run;
    this.sampler = this.samplerAt(state.epoch, state.batchInEpoch);
    while (state.globalStep < this.totalSteps && state.epoch < this.options.epochs) {
      const rows = this.sampler.next();
      if (!rows) {
        await this.endEpoch(run);
        continue;
      }
      const r = this.step(rows, state);
      this.record(run, r, rows.length);
      await this.afterStep(run, r);
      this.hooks.onStep?.(state);
      await yieldToEventLoop();
      if (this.stopRequested()) return this.interrupted(run);
    }
    return this.finish(run);
  }

  /** Starts or resumes: the state agreed with every worker, the log, the trackers. */
  private begin(): Run {
    const o = this.options;
    const group = this.hooks.processGroup;
    const quiet = Boolean(o.quiet) || !this.lead;
    makeDir(o.saveDir);
    const stale = this.lead ? removeStaleTemporaries(o.saveDir) : [];
    if (stale.length && !quiet) process.stderr.write(`removed ${stale.length} unfinished folder(s) left by an interrupted write: ${stale.join(', ')}\n`);
    if (group) checkWorkersAgree(group, [this.data.fingerprint, this.model.config, o.batchSize, o.seed, o.groupByLength, o.epochs, o.maxSteps ?? null]);
    const state = group ? syncWithLead(group, this.model, this.optimizer, this.startOrResume()) : this.startOrResume();
    if (group) this.bank?.syncWithLead(group);
    if (o.logqCorrection) this.titleFrequency ??= TitleFrequency.ofData(this.data, quiet);
    const log: Run['log'] = this.lead ? new TrainLog(o.saveDir, state.globalStep > 0 ? state.globalStep : undefined) : { write: () => undefined };
    if (state.globalStep === 0) log.write({ event: 'start', run_id: state.runId, data: state.dataFingerprint, total_steps: this.totalSteps, pairs: this.data.rows, options: o });
    return {
      state, log, quiet, evaluations: [], lastLoss: NaN,
      best: new BestModelTracker(o.bestMetric, state.bestScore, state.bestStep),
      budget: o.timeBudgetSeconds ? new TimeBudget(o.timeBudgetSeconds, state.globalStep) : undefined,
      collapse: new CollapseWatch(o.margin, o.scale),
      progress: new Progress('train', this.totalSteps, 'step', quiet),
      window: { loss: 0, steps: 0, pairs: 0, tokens: 0, masked: 0, start: Date.now() },
    };
  }

  /** One optimisation step on this process's share of the rows (step.ts). */
  private step(rows: Uint32Array, state: TrainerState): DoneStep {
    const o = this.options;
    const group = this.hooks.processGroup;
    const [from, to] = group ? rankShare(rows.length, group.rank, group.worldSize) : [0, rows.length];
    const batch = batchTexts(this.data, rows.subarray(from, to));
    const r = trainStep(this.model, this.optimizer, batch, {
      margin: o.margin, scale: o.scale, maxGradNorm: o.maxGradNorm, lr: this.lr(state.globalStep), stepSeed: o.seed * 7919 + state.globalStep,
      padId: this.model.tokenizer.padId, padTo: o.padToMaxLength, chunkSize: o.gradCacheChunkSize, group, columns: this.data.columns, falseNegativeMargin: this.falseNegativeMarginAt(state.globalStep),
      titleFrequency: this.titleFrequency, bank: this.bank, useBank: state.globalStep >= this.bankWarmup, matryoshka: this.matryoshka,
    });
    if (r.falseNegatives && o.falseNegativeLog && this.lead) this.logSuspects(batch, r.falseNegatives, state.globalStep + 1, group !== undefined);
    if (!Number.isFinite(r.loss)) throw new Error(`loss became ${r.loss} at step ${state.globalStep + 1}; lower the learning rate or check the data`);
    if (r.replayMaxDiff !== undefined) checkReplay(r.replayMaxDiff, state.globalStep + 1, T.getDefaultDevice());
    return { ...r, titles: batch.titles.length };
  }

  private record(run: Run, r: StepResult, pairs: number): void {
    const { state, window } = run;
    state.globalStep++;
    state.batchInEpoch++;
    run.lastLoss = r.loss;
    Object.assign(window, { loss: window.loss + r.loss, steps: window.steps + 1, pairs: window.pairs + pairs, tokens: window.tokens + r.tokens, masked: window.masked + (r.falseNegatives?.masked ?? 0) });
  }

  /** The step's 5 strongest masked suspects as JSON Lines (texts decoded where this rank holds them). */
  private logSuspects(batch: BatchTexts, stats: FalseNegativeStats, step: number, gathered: boolean): void {
    const tok = this.model.tokenizer;
    const text = (ids: Uint32Array | undefined) => (ids && !gathered ? tok.decode(Array.from(ids)).filter((t) => !/^\[(CLS|SEP|PAD)\]$/.test(t)).map((t) => t.replace(/^##/, '')).join('') : null);
    const lines = stats.suspects.sort((a, b) => b.score - b.positive - (a.score - a.positive)).slice(0, 5).map((s) => JSON.stringify({
      step, query: text(batch.queries[s.row]), positive: text(batch.titles[s.row]), masked: text(batch.titles[s.column]), masked_score: s.score, positive_score: s.positive, row: s.row, column: s.column,
    }));
    if (lines.length) appendFileSync(this.options.falseNegativeLog!, lines.join('\n') + '\n');
  }

  /** What follows a step: the collapse watch, logging, checkpoints, evaluation, charts, the time budget. */
  private async afterStep(run: Run, r: DoneStep): Promise<void> {
    const o = this.options;
    const { state } = run;
    const warning = this.hooks.processGroup ? undefined : run.collapse.observe(r.loss / this.lossWeight, r.titles + (r.bankNegatives ?? 0));
    if (warning) { run.log.write({ event: 'warning', step: state.globalStep, message: warning }); if (!run.quiet) process.stderr.write(`\nwarning: ${warning}\n`); }
    if (state.globalStep % o.loggingSteps === 0 || state.globalStep === this.totalSteps) this.logStep(run, r);
    if (o.saveSteps > 0 && state.globalStep % o.saveSteps === 0) this.checkpoint(run);
    if (o.evalSteps && state.globalStep % o.evalSteps === 0) await this.evaluate(run);
    if (this.lead && state.globalStep % o.chartSteps === 0) writeTrainingCharts(o.saveDir);
    if (run.budget?.shouldRefit(state.globalStep)) this.refitToBudget(run);
  }

  private async endEpoch(run: Run): Promise<void> {
    const { state } = run;
    run.log.write({ event: 'epoch', epoch: state.epoch, sampler: this.sampler!.report });
    if (!this.options.evalSteps) await this.evaluate(run);
    state.epoch++;
    state.batchInEpoch = 0;
    if (state.epoch < this.options.epochs) this.sampler = this.samplerAt(state.epoch, 0);
  }

  private logStep(run: Run, r: StepResult): void {
    const { state, window } = run;
    const seconds = (Date.now() - window.start) / 1000;
    const record: StepLog = {
      step: state.globalStep, epoch: state.epoch, loss: window.loss / window.steps, lr: this.lr(state.globalStep - 1), grad_norm: r.gradNorm,
      pairs_per_s: window.pairs / seconds, tokens_per_s: window.tokens / seconds,
      ...(this.options.falseNegativeMargin !== undefined ? { false_negatives_masked: window.masked } : {}),
      ...(this.bank ? { bank_negatives: r.bankNegatives ?? 0 } : {}),
    };
    run.log.write({ ...record });
    this.hooks.onLog?.(record);
    run.progress.update(state.globalStep, { loss: record.loss, lr: record.lr, 'pairs/s': record.pairs_per_s }, true);
    Object.assign(window, { loss: 0, steps: 0, pairs: 0, tokens: 0, masked: 0, start: Date.now() });
  }

  /** Writes a checkpoint at the current step (rank 0; once per step) and returns its folder. */
  private checkpoint(run: Run): string {
    const { state } = run;
    const o = this.options;
    if (!this.lead) return join(o.saveDir, `checkpoint-${state.globalStep}`);
    if (run.lastCheckpoint?.step === state.globalStep) return run.lastCheckpoint.dir; // interrupted right after a periodic save
    const dir = saveCheckpoint(o.saveDir, this.model, this.optimizer, state, o, (tmp) => this.bank?.save(tmp));
    run.lastCheckpoint = { step: state.globalStep, dir };
    pruneCheckpoints(o.saveDir, o.keepCheckpoints);
    run.log.write({ event: 'checkpoint', step: state.globalStep, dir });
    this.hooks.onCheckpoint?.(state.globalStep, dir);
    return dir;
  }

  /** Scores the model (rank 0), keeps model_best, redraws the charts. */
  private async evaluate(run: Run): Promise<void> {
    if (!this.lead || !this.hooks.evaluator) return;
    const { state } = run;
    this.model.setTrainable(false);
    let result: EvalResult;
    try {
      result = await this.hooks.evaluator.evaluate(this.model);
    } finally {
      this.model.setTrainable(true);
    }
    run.evaluations.push({ step: state.globalStep, scores: result.scores });
    if (this.matryoshka && result.recallAt10ByDimension) this.model.config.inbatch.matryoshka = { dims: [...this.matryoshka.dims], recall_at_10: result.recallAt10ByDimension };
    const isBest = run.best.consider(state.globalStep, result);
    Object.assign(state, { bestScore: run.best.bestScore, bestStep: run.best.bestStep });
    run.log.write({ event: 'eval', step: state.globalStep, epoch: state.epoch, scores: result.scores, best: isBest });
    writeTrainingCharts(this.options.saveDir);
    if (isBest) saveModel(this.model, join(this.options.saveDir, 'model_best'), this.savedFiles(run));
    this.hooks.onEvaluate?.(state.globalStep, result, isBest);
    if (!run.quiet) process.stderr.write(`\neval step ${state.globalStep}: ${Object.entries(result.scores).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(' ')}${isBest ? ' (best)' : ''}\n`);
  }

  /** What a saved model carries beside its weights: the hooks' files, the training record its card is written from, the loss curve. */
  private savedFiles(run: Run): Record<string, string> {
    const o = this.options, { state } = run, c = this.model.config.inbatch;
    const snake = (k: string) => k.replace(/[A-Z]/g, (ch) => `_${ch.toLowerCase()}`);
    const hyper: TrainingRecord['hyper_parameters'] = { pooling: c.pooling, output_emb_size: c.output_emb_size, max_seq_length: c.max_seq_length, dropout: c.dropout };
    for (const key of ['batchSize', 'learningRate', 'epochs', 'maxSteps', 'margin', 'scale', 'warmupProportion', 'weightDecay', 'maxGradNorm', 'seed', 'groupByLength',
      'gradCacheChunkSize', 'falseNegativeMargin', 'falseNegativeWarmup', 'logqCorrection', 'memoryBankSize', 'memoryBankWarmup', 'memoryBankQueries', 'matryoshkaDims', 'matryoshkaWeights', 'matryoshkaDistill', 'timeBudgetSeconds'] as const) {
      const v = o[key];
      if (v !== undefined) hyper[snake(key)] = v as TrainingRecord['hyper_parameters'][string];
    }
    if (this.matryoshka) hyper.matryoshka_distill = this.matryoshka.distill; // the default too: it is part of the loss
    if (this.world > 1) hyper.global_batch_size = o.batchSize * this.world;
    const record: TrainingRecord = {
      command: this.hooks.provenance?.command ?? 'inbatch train (through the library)', base_model: this.hooks.provenance?.baseModel ?? null, datasets: this.hooks.provenance?.datasets ?? [],
      hyper_parameters: hyper,
      data: { pairs: this.data.rows, steps: state.globalStep, total_steps: this.totalSteps, epochs: state.epoch + (state.batchInEpoch > 0 ? 1 : 0), workers: this.world },
      evaluations: run.evaluations, best: { metric: o.bestMetric, step: run.best.bestStep, score: run.best.bestScore },
    };
    const files: Record<string, string> = { ...this.hooks.modelFiles, [TRAINING_RECORD_FILE]: JSON.stringify(record, null, 2) + '\n' };
    const loss = join(o.saveDir, 'loss.svg');
    if (existsSync(loss)) files[LOSS_CURVE_FILE] = readFileSync(loss, 'utf8');
    return files;
  }

  /** Refits the step count to the time budget; with workers rank 0's fit is the run's, or the ranks would stop at different steps. */
  private refitToBudget(run: Run): void {
    const o = this.options;
    const group = this.hooks.processGroup;
    const fit = run.budget!.totalSteps(run.state.globalStep, Math.min(this.plannedSteps(), o.maxSteps ?? Infinity));
    const total = group ? leadValues(group, [fit])[0]! : fit;
    if (total === this.totalSteps) return;
    this.totalSteps = run.state.totalSteps = total;
    run.progress.setTotal(total);
    run.log.write({ event: 'time_budget', seconds: o.timeBudgetSeconds, total_steps: total });
  }

  private interrupted(run: Run): TrainResult {
    const { state } = run;
    const dir = this.checkpoint(run);
    run.log.write({ event: 'interrupted', step: state.globalStep, checkpoint: dir });
    if (this.lead) writeTrainingCharts(this.options.saveDir);
    run.progress.done(state.globalStep, { loss: run.lastLoss });
    if (!run.quiet) process.stderr.write(`interrupted: checkpoint written to ${dir}; continue with --resume\n`);
    return { state, finalLoss: run.lastLoss, sampler: this.samplerReport, evaluations: run.evaluations, finalDir: dir, interrupted: true };
  }

  private async finish(run: Run): Promise<TrainResult> {
    const { state } = run;
    const o = this.options;
    if (run.evaluations.at(-1)?.step !== state.globalStep) await this.evaluate(run); // the final model is always scored
    run.progress.done(state.globalStep, { loss: run.lastLoss });
    const finalDir = join(o.saveDir, 'model_final');
    if (this.lead) {
      run.log.write({ event: 'end', step: state.globalStep, best_step: state.bestStep, best_score: state.bestScore, best_metric: o.bestMetric });
      writeTrainingCharts(o.saveDir);
      saveModel(this.model, finalDir, this.savedFiles(run));
    }
    return { state, finalLoss: run.lastLoss, sampler: this.samplerReport, evaluations: run.evaluations, finalDir };
  }

  /** Whether to stop now: with workers, every rank stops at the same step when any of them was signalled. */
  private stopRequested(): boolean {
    const mine = this.hooks.signal?.aborted ?? false;
    const group = this.hooks.processGroup;
    return group ? anyRankStopping(group, mine) : mine;
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
    for (const [key, flag] of LOSS_OPTIONS) {
      const before = JSON.stringify(saved.options?.[key] ?? null), now = JSON.stringify(o[key] ?? null);
      if (saved.options && before !== now) throw new UsageError(`${dir} was trained with ${flag} ${before === 'null' ? 'off' : before}, now ${now === 'null' ? 'off' : now}: a resumed run must keep its loss options`);
    }
    for (const key of ['batchSize', 'seed', 'groupByLength'] as const) {
      const before = saved.options?.[key];
      if (before !== undefined && before !== o[key]) throw new UsageError(`${dir} was trained with ${key} ${before}, now ${o[key]}: a resumed run must keep it (the data order depends on it)`);
    }
    const state = { ...restoreCheckpoint(dir, this.model, this.optimizer), totalSteps: this.totalSteps };
    this.bank?.restore(dir);
    state.runId ??= fresh.runId;
    state.dataFingerprint ??= dataFingerprint;
    if (!o.quiet && this.lead) process.stderr.write(`resuming from ${dir} at step ${state.globalStep}\n`);
    return state;
  }
}
