// A checkpoint is a folder checkpoint-STEP/ holding the model (as a loadable model folder),
// the AdamW moments (optimizer.safetensors) and trainer_state.json (position in the data,
// best score, and the options of the run). Written to a temporary folder and renamed.
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readSafetensors, writeSafetensors, type TensorSource } from '../weights/safetensors.js';
import type { DualEncoder } from '../model/dual-encoder.js';
import { writeModelFiles } from '../model/folder.js';
import * as T from '../torch/index.js';
import { writeDirAtomic } from '../util/atomic.js';
import type { AdamW } from './adamw.js';
import type { TrainerState, TrainOptions } from './options.js';
import { readJsonObject } from '../util/json-file.js';

export const STATE_FILE = 'trainer_state.json';

export interface Checkpoint { step: number; dir: string }

export function listCheckpoints(saveDir: string): Checkpoint[] {
  if (!existsSync(saveDir)) return [];
  return readdirSync(saveDir)
    .map((name) => /^checkpoint-(\d+)$/.exec(name))
    .filter((m): m is RegExpExecArray => m !== null && existsSync(join(saveDir, m[0], STATE_FILE)))
    .map((m) => ({ step: Number(m[1]), dir: join(saveDir, m[0]) }))
    .sort((a, b) => a.step - b.step);
}

function optimizerTensors(opt: AdamW): Map<string, TensorSource> {
  const out = new Map<string, TensorSource>();
  for (const [name, t] of opt.expAvg) out.set(`exp_avg.${name}`, { shape: t.shape, data: () => T.toFloat32(t) });
  for (const [name, t] of opt.expAvgSq) out.set(`exp_avg_sq.${name}`, { shape: t.shape, data: () => T.toFloat32(t) });
  return out;
}

/** @param writeMore  the loss's own state (a memory bank), written into the same folder before it is renamed */
export function saveCheckpoint(saveDir: string, model: DualEncoder, optimizer: AdamW, state: TrainerState, options: TrainOptions, writeMore?: (dir: string) => void): string {
  const dir = join(saveDir, `checkpoint-${state.globalStep}`);
  writeDirAtomic(dir, (tmp) => {
    writeModelFiles(model, tmp);
    writeSafetensors(join(tmp, 'optimizer.safetensors'), optimizerTensors(optimizer), { step: String(optimizer.step) });
    writeMore?.(tmp);
    writeFileSync(join(tmp, STATE_FILE), JSON.stringify({ ...state, options }, null, 2));
  });
  return dir;
}

/** Removes all but the newest `keep` checkpoints (by step). */
export function pruneCheckpoints(saveDir: string, keep: number): void {
  const all = listCheckpoints(saveDir);
  for (const old of all.slice(0, Math.max(0, all.length - keep))) rmSync(old.dir, { recursive: true, force: true });
}

/** The state of a checkpoint without loading its tensors. */
export function readCheckpointState(dir: string): TrainerState & { options?: Partial<TrainOptions> } {
  const statePath = join(dir, STATE_FILE);
  if (!existsSync(statePath)) throw new Error(`${statePath}: missing: not a checkpoint`);
  return readJsonObject(statePath) as unknown as TrainerState & { options?: Partial<TrainOptions> };
}

/** Loads weights and optimizer moments from a checkpoint into a model and optimizer of the same shapes. */
export function restoreCheckpoint(dir: string, model: DualEncoder, optimizer: AdamW): TrainerState {
  const state = readCheckpointState(dir);
  const weights = readSafetensors(join(dir, 'model.safetensors')).tensors;
  const moments = readSafetensors(join(dir, 'optimizer.safetensors'));
  T.noGrad(() => T.tidy(() => {
    for (const [name, p] of model.params) {
      const w = weights.get(name);
      if (!w) throw new Error(`${dir}: checkpoint lacks ${name}`);
      T.copy_(p, T.fromData(w.data, w.shape));
    }
    for (const [prefix, target] of [['exp_avg', optimizer.expAvg], ['exp_avg_sq', optimizer.expAvgSq]] as const) {
      for (const [name, t] of target) {
        const m = moments.tensors.get(`${prefix}.${name}`);
        if (!m) throw new Error(`${dir}: optimizer state lacks ${prefix}.${name}`);
        T.copy_(t, T.fromData(m.data, m.shape));
      }
    }
  }));
  optimizer.step = Number(moments.metadata.step ?? state.globalStep);
  const { runId, dataFingerprint, worldSize, globalStep, epoch, batchInEpoch, totalSteps, bestScore, bestStep, seed } = state;
  return { runId, dataFingerprint, worldSize: worldSize ?? 1, globalStep, epoch, batchInEpoch, totalSteps, bestScore: bestScore ?? null, bestStep: bestStep ?? null, seed };
}
