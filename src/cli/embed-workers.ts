// Embedding a corpus's chunks with N worker processes, each its own model session (libtorch or
// onnxruntime) with cores / N threads: a chunk goes to whichever worker is free. With one worker
// the model runs in this process. Workers exit with this process (their IPC channel closes).
import { fork, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import type { ChunkEmbedder } from '../retrieval/corpus-chunks.js';
import { loadAnyEmbedder, type AnyModelFlags } from './model-flags.js';

export interface WorkerModel {
  model: string;
  flags: AnyModelFlags;
}

type Reply = { ready: true; dim: number; fingerprint: object } | { job: number; vectors: Float32Array } | { job: number; error: string } | { error: string };

export async function startChunkEmbedder(m: WorkerModel, workers: number): Promise<{ embedder: ChunkEmbedder; fingerprint: object }> {
  if (workers <= 1) {
    const loaded = await loadAnyEmbedder(m.model, m.flags);
    const embedder: ChunkEmbedder = {
      dim: loaded.embedder.dim,
      parallel: 1,
      embed: async (texts) => concatRows(await loaded.embedder.embed(texts), loaded.embedder.dim),
      close: () => loaded.release(),
    };
    return { embedder, fingerprint: loaded.fingerprint };
  }
  const threads = Math.max(1, Math.floor(availableParallelism() / workers));
  const children: ChildProcess[] = [];
  const pending = new Map<number, { resolve(v: Float32Array): void; reject(e: Error): void }>();
  const idle: ChildProcess[] = [];
  const waiting: Array<(c: ChildProcess) => void> = [];
  let nextJob = 0;
  const readies = Array.from({ length: workers }, () => {
    const child = fork(new URL('./index-worker.js', import.meta.url), [JSON.stringify(m)], {
      env: { ...process.env, INBATCH_THREADS: String(threads) }, serialization: 'advanced', stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    children.push(child);
    return new Promise<{ dim: number; fingerprint: object }>((resolve, reject) => {
      child.on('message', (msg: Reply) => {
        if ('ready' in msg) { resolve(msg); release(child); return; }
        if (!('job' in msg)) { reject(new Error(msg.error)); return; }
        const p = pending.get(msg.job);
        pending.delete(msg.job);
        if ('error' in msg) p?.reject(new Error(msg.error));
        else p?.resolve(msg.vectors);
        release(child);
      });
      child.on('exit', (code, signal) => {
        const e = new Error(`an embedding worker exited (${signal ?? `code ${code}`})`);
        reject(e);
        for (const [job, p] of pending) { pending.delete(job); p.reject(e); }
      });
    });
  });
  function release(child: ChildProcess): void {
    const w = waiting.shift();
    if (w) w(child); else idle.push(child);
  }
  const stopAll = () => { for (const c of children) c.kill(); };
  let first: { dim: number; fingerprint: object };
  try {
    [first] = await Promise.all(readies) as [{ dim: number; fingerprint: object }];
  } catch (e) {
    stopAll();
    throw e;
  }
  const embedder: ChunkEmbedder = {
    dim: first.dim,
    parallel: workers,
    embed: async (texts) => {
      const child = idle.pop() ?? await new Promise<ChildProcess>((r) => waiting.push(r));
      const job = nextJob++;
      return new Promise<Float32Array>((resolve, reject) => {
        pending.set(job, { resolve, reject });
        child.send({ job, texts });
      });
    },
    close: async () => {
      await Promise.all(children.map((c) => new Promise<void>((r) => { if (c.exitCode !== null || c.signalCode !== null) r(); else { c.once('exit', () => r()); c.disconnect(); } })));
    },
  };
  return { embedder, fingerprint: first.fingerprint };
}

export function concatRows(rows: Float32Array[], dim: number): Float32Array {
  const out = new Float32Array(rows.length * dim);
  rows.forEach((r, i) => out.set(r, i * dim));
  return out;
}
