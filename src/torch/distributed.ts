// A torch.distributed (c10d) process group from TypeScript: a TCPStore rendezvous at
// masterAddr:masterPort and ProcessGroupGloo (CPU), or ProcessGroupNCCL (GPU; an addon built
// against a CUDA libtorch). Generic collectives only; what to gather or
// reduce is the trainer's business. Every call blocks until all ranks join, or throws after the timeout.
import { loadNative, type NativeAddon } from './native.js';
import { Tensor } from './tensor.js';

export interface ProcessGroupOptions {
  masterAddr: string;
  masterPort: number;
  rank: number;
  worldSize: number;
  /** how long a rendezvous or collective may wait for the other ranks */
  timeoutMs: number;
  /** gloo (CPU, default) or nccl (CUDA tensors) */
  backend?: 'gloo' | 'nccl';
  /** where the barrier's tensor lives: the device of the tensors this group reduces */
  device?: string;
  /** rendezvous through this file instead of a TCPStore (every rank on one machine: no listening socket) */
  storeFile?: string;
}

type Collectives = Required<Pick<NativeAddon, 'initProcessGroup' | 'allReduce' | 'allGather' | 'broadcast' | 'barrier' | 'destroyProcessGroup'>>;

function collectives(): Collectives {
  const n = loadNative();
  if (!n.distributedAvailable() || !n.initProcessGroup) {
    throw new Error('this build of the libtorch addon has no collectives: install gloo\'s headers (apt-get install libgloo-dev) and rebuild the addon (npm rebuild inbatch in a project that installed it, npm run build:native in a checkout)');
  }
  return n as NativeAddon & Collectives;
}

export function distributedAvailable(): boolean {
  return loadNative().distributedAvailable();
}

export class ProcessGroup {
  private constructor(private readonly id: number, readonly rank: number, readonly worldSize: number, readonly backend: 'gloo' | 'nccl', private readonly device: string) {}

  static init(o: ProcessGroupOptions): ProcessGroup {
    const backend = o.backend ?? 'gloo';
    if (backend === 'nccl' && !loadNative().ncclAvailable()) {
      throw new Error('this build of the libtorch addon has no NCCL: build it against a CUDA libtorch with CUDA\'s and NCCL\'s headers (node native/libtorch-flags.cjs report; see the README)');
    }
    let id: number;
    try {
      id = collectives().initProcessGroup(o.masterAddr, o.masterPort, o.rank, o.worldSize, o.timeoutMs, backend, o.storeFile);
    } catch (e) {
      const where = o.storeFile ? `the rendezvous file ${o.storeFile}` : `the rendezvous at ${o.masterAddr}:${o.masterPort}`;
      throw new Error(`worker rank ${o.rank} of ${o.worldSize}: ${where} (${backend}) failed within ${o.timeoutMs / 1000} s: ${(e as Error).message.trim()}`);
    }
    return new ProcessGroup(id, o.rank, o.worldSize, backend, o.device ?? 'cpu');
  }

  /** Sums t over all ranks, in place. */
  allReduce_(t: Tensor): void { this.collective('all-reduce', () => collectives().allReduce(this.id, t.native)); }

  /** Every rank's t (same shape on each), concatenated along dim 0 in rank order. */
  allGather(t: Tensor): Tensor { return this.collective('all-gather', () => new Tensor(collectives().allGather(this.id, t.native))); }

  /** Copies root's t into every rank's t, in place. */
  broadcast_(t: Tensor, root = 0): void { this.collective('broadcast', () => collectives().broadcast(this.id, t.native, root)); }

  barrier(): void { this.collective('barrier', () => collectives().barrier(this.id, this.device)); }

  /** A collective whose failure says what it means: a peer died, hung or cannot be reached. */
  private collective<R>(what: string, run: () => R): R {
    try {
      return run();
    } catch (e) {
      throw new Error(`worker rank ${this.rank} of ${this.worldSize}: ${what} failed, so another worker stopped, is stuck or cannot be reached (${(e as Error).message.trim()})`);
    }
  }

  destroy(): void { collectives().destroyProcessGroup(this.id); }
}

/** The kernel kills this process when its parent dies (Linux); returns the parent's pid, or undefined where unsupported. */
export function dieWithParent(signal = 9): number | undefined {
  const n = loadNative();
  return n.setParentDeathSignal ? n.setParentDeathSignal(signal) : undefined;
}
