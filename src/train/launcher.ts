// `train --nproc-per-node N [--nnodes M --node-rank i]`: this node's launcher. It prepares the data
// once, then runs N workers of the same command with torchrun's environment (RANK, LOCAL_RANK,
// WORLD_SIZE, MASTER_ADDR, MASTER_PORT). If one fails, the others are stopped and the run exits
// non-zero naming it; Ctrl-C and SIGTERM reach every worker (they checkpoint together). Workers die with
// the launcher (the kernel kills them when it dies, even kill -9), and on one machine with a loopback
// --master-addr the rendezvous is a file, so nothing listens on the network.
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { readModelConfig } from '../model/config-file.js';
import { loadTokenizer } from '../text/load-tokenizer.js';
import { preparedTrainingData } from '../data/prepared/cache.js';

export interface LaunchOptions {
  model: string; trainSet: string[]; saveDir: string; skipBadLines: boolean; maxSeqLength?: number;
  nprocPerNode: number; nnodes: number; nodeRank: number; masterAddr: string; masterPort: number;
}

/** Resolves when every worker is done; exit code 130 when they were interrupted; throws naming a worker that failed. */
export async function launchWorkers(o: LaunchOptions): Promise<void> {
  const config = readModelConfig(o.model, o.maxSeqLength === undefined ? {} : { max_seq_length: o.maxSeqLength });
  const data = await preparedTrainingData(o.trainSet, o.saveDir, loadTokenizer(o.model), config.inbatch.max_seq_length, o.skipBadLines);
  const world = o.nnodes * o.nprocPerNode;
  // every rank on this machine: the rendezvous is a file, and no socket listens for it
  const storeFile = o.nnodes === 1 && isLoopback(o.masterAddr) ? join(tmpdir(), `inbatch-rendezvous-${process.pid}-${o.masterPort}`) : undefined;
  if (storeFile) rmSync(storeFile, { force: true });
  const threads = Math.max(1, Math.floor(availableParallelism() / o.nprocPerNode));
  console.error(`starting ${o.nprocPerNode} worker(s) of ${world} (${threads} thread(s) each), rendezvous at ${o.masterAddr}:${o.masterPort}`);
  const workers = Array.from({ length: o.nprocPerNode }, (_, local) => {
    const rank = o.nodeRank * o.nprocPerNode + local;
    const child = spawn(process.execPath, process.argv.slice(1), {
      stdio: 'inherit',
      env: { ...process.env, RANK: String(rank), LOCAL_RANK: String(local), WORLD_SIZE: String(world), MASTER_ADDR: o.masterAddr, MASTER_PORT: String(o.masterPort),
        INBATCH_PREPARED: data.dir, INBATCH_THREADS: String(threads), INBATCH_LAUNCHER_PID: String(process.pid), ...(storeFile ? { INBATCH_STORE_FILE: storeFile } : {}) },
    });
    return { rank, child, exit: new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? 1))) };
  });
  data.close();
  const forward = (signal: NodeJS.Signals) => () => { for (const w of workers) w.child.kill(signal); };
  process.on('SIGINT', forward('SIGINT'));
  process.on('SIGTERM', forward('SIGTERM'));
  const pending = new Set(workers);
  let interrupted = false;
  while (pending.size) {
    const [w, result] = await Promise.race([...pending].map((w) => w.exit.then((r) => [w, r] as const)));
    pending.delete(w);
    if (result === 0) continue;
    if (result === 130) { interrupted = true; continue; } // Ctrl-C: every worker stops at the same step, rank 0 checkpoints
    console.error(`inbatch train: worker rank ${w.rank} exited with ${result}; stopping the other workers`);
    for (const other of pending) other.child.kill('SIGTERM');
    const killer = setTimeout(() => { for (const other of pending) other.child.kill('SIGKILL'); }, 5000);
    await Promise.all([...pending].map((p) => p.exit));
    clearTimeout(killer);
    const where = o.nodeRank === 0 ? `the last checkpoint in ${o.saveDir} stays valid` : 'the last checkpoint on node 0 (rank 0 writes them) stays valid';
    if (storeFile) rmSync(storeFile, { force: true });
    throw new Error(`worker rank ${w.rank} failed (exit ${result}); ${where}: continue with --resume on every node`);
  }
  if (storeFile) rmSync(storeFile, { force: true });
  if (interrupted) process.exitCode = 130;
}

export function isLoopback(host: string): boolean {
  return /^127\.\d+\.\d+\.\d+$/.test(host) || host === 'localhost' || host === '::1';
}
