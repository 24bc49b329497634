// A worker's life in a data-parallel run (torch.distributed's contract, so torchrun's environment
// works too): who it is (RANK, LOCAL_RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT), joining the group,
// agreeing with rank 0 (same data, model and options; rank 0's step, weights and optimizer moments),
// and stopping together (a Ctrl-C that reaches any rank stops every rank at the same step).
import type { DualEncoder } from '../model/dual-encoder.js';
import * as T from '../torch/index.js';
import { ProcessGroup } from '../torch/index.js';
import { UsageError } from '../util/errors.js';
import { textHash } from '../data/training-source.js';
import type { AdamW } from './adamw.js';
import type { TrainerState } from './options.js';

export interface WorkerIdentity {
  rank: number;
  /** the worker's index on its machine (picks its GPU); torchrun and the launcher set it */
  localRank?: number;
  worldSize: number;
  masterAddr: string;
  masterPort: number;
}

/** This process's place in a run, from the environment a launcher (or torchrun) sets; undefined when it runs alone. */
export function workerIdentity(env: NodeJS.ProcessEnv, defaults: { masterAddr: string; masterPort: number }): WorkerIdentity | undefined {
  if (env.WORLD_SIZE === undefined) return undefined;
  const int = (name: string, min: number, max: number): number => {
    const raw = env[name];
    const v = Number(raw);
    if (raw === undefined || !/^\d+$/.test(raw.trim()) || v < min || v > max) {
      throw new UsageError(`${name}=${raw ?? '(unset)'}: a worker needs ${name} as an integer in [${min}, ${max}] (set by inbatch train --nproc-per-node, or torchrun)`);
    }
    return v;
  };
  const worldSize = int('WORLD_SIZE', 1, 65536);
  if (worldSize === 1) return undefined;
  int('RANK', 0, worldSize - 1);
  if (env.LOCAL_RANK !== undefined) int('LOCAL_RANK', 0, worldSize - 1);
  if (env.MASTER_PORT !== undefined) int('MASTER_PORT', 1, 65535);
  return {
    rank: Number(env.RANK), localRank: env.LOCAL_RANK === undefined ? undefined : Number(env.LOCAL_RANK), worldSize,
    masterAddr: env.MASTER_ADDR ?? defaults.masterAddr, masterPort: Number(env.MASTER_PORT ?? defaults.masterPort),
  };
}

/**
 * Joins the run's process group (the rendezvous waits for every rank up to timeoutMs). A worker
 * that inbatch's launcher started dies with it (even a kill -9 of the launcher), and rendezvouses
 * through the launcher's store file when it gave one.
 */
export function joinWorkers(who: WorkerIdentity, o: { timeoutMs: number; backend: 'gloo' | 'nccl'; device: string }, env: NodeJS.ProcessEnv = process.env): ProcessGroup {
  const launcher = env.INBATCH_LAUNCHER_PID;
  if (launcher !== undefined) {
    const parent = T.dieWithParent(9);
    // the launcher may have died before the kernel was told: then this worker's parent is another process
    if (parent !== undefined && String(parent) !== launcher) throw new Error(`worker rank ${who.rank}: its launcher (pid ${launcher}) is gone; stopping`);
  }
  return ProcessGroup.init({ masterAddr: who.masterAddr, masterPort: who.masterPort, rank: who.rank, worldSize: who.worldSize, ...o, storeFile: env.INBATCH_STORE_FILE });
}

/**
 * Ctrl-C writes a checkpoint at the current step; a second Ctrl-C exits at once. A worker hears
 * Ctrl-C twice, from the terminal and from its launcher: a repeat within 2 s is the same one.
 */
export function stopOnInterrupt(worker: boolean): AbortSignal {
  const interrupt = new AbortController();
  process.once('SIGINT', () => {
    console.error('\nSIGINT: finishing this step and writing a checkpoint (Ctrl-C again to exit now)');
    interrupt.abort();
    const first = Date.now();
    const again = () => { if (worker && Date.now() - first < 2000) process.once('SIGINT', again); else process.exit(130); };
    process.once('SIGINT', again);
  });
  return interrupt.signal;
}

/** Every worker must train the same data with the same model and options: refused, naming a worker that differs. */
export function checkWorkersAgree(group: ProcessGroup, what: unknown): void {
  const mine = textHash(JSON.stringify(what));
  const all = T.tidy(() => Array.from(T.toData(group.allGather(T.fromData(Float64Array.from([mine]), [1]))) as Float64Array));
  const odd = all.findIndex((h) => h !== all[0]);
  if (odd >= 0) throw new UsageError(`worker rank ${odd} has other data, another model or other options than rank 0; every worker must be started alike`);
}

/** Rank 0's values of numbers each rank computed for itself. */
export function leadValues(group: ProcessGroup, values: number[]): number[] {
  const t = T.fromData(Float64Array.from(values), [values.length]);
  group.broadcast_(t, 0);
  const lead = Array.from(T.toData(t) as Float64Array);
  t.dispose();
  return lead;
}

/**
 * Every rank continues from rank 0's point: its step and data position, weights and optimizer moments
 * are broadcast, so the machines of a run need not share the save folder (rank 0's holds the checkpoints).
 */
export function syncWithLead(group: ProcessGroup, model: DualEncoder, optimizer: AdamW, state: TrainerState): TrainerState {
  const [globalStep, epoch, batchInEpoch, optimizerStep] = leadValues(group, [state.globalStep, state.epoch, state.batchInEpoch, optimizer.step]) as [number, number, number, number];
  for (const [, p] of model.params) group.broadcast_(p);
  for (const moments of [optimizer.expAvg, optimizer.expAvgSq]) for (const m of moments.values()) group.broadcast_(m);
  optimizer.step = optimizerStep;
  return { ...state, globalStep, epoch, batchInEpoch };
}

/** Whether any rank was asked to stop: every rank then stops at the same step. */
export function anyRankStopping(group: ProcessGroup, mine: boolean): boolean {
  const flag = T.fromData(Float32Array.from([mine ? 1 : 0]), [1]);
  group.allReduce_(flag);
  const any = T.item(flag) > 0;
  flag.dispose();
  return any;
}
