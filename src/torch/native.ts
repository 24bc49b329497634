// Loads the optional libtorch addon (native/). Threads and OpenMP policy must be
// set before the shared library is loaded, so this is the only place that loads it.
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import type { DType, TensorData } from './tensor.js';

export type NativeTensor = { readonly __nativeTensor: unique symbol };
type N = NativeTensor;

/** Every function of native/inbatch_torch.cc, as the binding takes and returns them (ops.ts gives them their typed faces). */
export interface NativeAddon {
  // creation and data exchange
  fromData(data: TensorData, shape: number[], device?: string): N;
  toData(t: N): TensorData;
  item(t: N): number;
  zeros(shape: number[], dtype: DType, device: string): N;
  ones(shape: number[], dtype: DType, device: string): N;
  full(shape: number[], value: number, dtype: DType, device: string): N;
  randn(shape: number[], dtype: DType, device: string): N;
  eye(size: number, dtype: DType, device: string): N;
  arange(end: number, dtype: DType, device: string): N;
  shape(t: N): number[];
  dtype(t: N): DType;
  device(t: N): string;
  toDtype(t: N, dtype: DType): N;
  toDevice(t: N, device: string): N;
  dispose(t: N): void;
  trackMemory(t: N): void;
  // autograd
  setRequiresGrad(t: N, on: boolean): void;
  requiresGrad(t: N): boolean;
  grad(t: N): N | null;
  clearGrad(t: N): void;
  backward(t: N): void;
  detach(t: N): N;
  setGradEnabled(on: boolean): void;
  isGradEnabled(): boolean;
  // elementwise and reductions
  add(a: N, b: N): N;
  sub(a: N, b: N): N;
  mul(a: N, b: N): N;
  div(a: N, b: N): N;
  addScalar(a: N, s: number): N;
  mulScalar(a: N, s: number): N;
  pow(a: N, e: number): N;
  sqrt(a: N): N;
  tanh(a: N): N;
  gelu(a: N): N;
  relu(a: N): N;
  softmax(a: N, dim: number): N;
  logSoftmax(a: N, dim: number): N;
  clampMin(a: N, min: number): N;
  sum(a: N, dims: number[] | null, keepDim: boolean): N;
  mean(a: N, dims: number[] | null, keepDim: boolean): N;
  argmax(a: N, dim: number, keepDim: boolean): N;
  abs(a: N): N;
  maxAll(a: N): N;
  topk(a: N, k: number, dim: number): [N, N];
  norm(a: N): N;
  // shape
  reshape(a: N, shape: number[]): N;
  transpose(a: N, d0: number, d1: number): N;
  permute(a: N, dims: number[]): N;
  contiguous(a: N): N;
  unsqueeze(a: N, dim: number): N;
  select(a: N, dim: number, index: number): N;
  narrow(a: N, dim: number, start: number, length: number): N;
  indexSelect(a: N, dim: number, index: N): N;
  cat(parts: N[], dim: number): N;
  clone(a: N): N;
  // neural network pieces
  matmul(a: N, b: N): N;
  linear(x: N, weight: N, bias?: N): N;
  embedding(weight: N, ids: N): N;
  layerNorm(x: N, normalizedShape: number[], weight: N, bias: N, eps: number): N;
  dropout(x: N, p: number, training: boolean): N;
  normalize(x: N, dim: number, eps: number): N;
  crossEntropy(logits: N, labels: N): N;
  // in-place updates
  mulScalar_(t: N, s: number): void;
  add_(t: N, other: N, alpha: number): void;
  addcmul_(t: N, a: N, b: N, value: number): void;
  addcdiv_(t: N, a: N, b: N, value: number): void;
  copy_(dst: N, src: N): void;
  indexCopy_(t: N, dim: number, index: N, source: N): void;
  fill_(t: N, value: number): void;
  normal_(t: N, mean: number, std: number): void;
  // runtime
  emptyCache(): void;
  // collectives (present when the addon was built with gloo's headers: libgloo-dev)
  distributedAvailable(): boolean;
  ncclAvailable(): boolean;
  initProcessGroup?(masterAddr: string, masterPort: number, rank: number, worldSize: number, timeoutMs: number, backend?: 'gloo' | 'nccl', storeFile?: string): number;
  /** prctl(PR_SET_PDEATHSIG): this process gets `signal` when its parent dies; returns the parent's pid */
  setParentDeathSignal?(signal: number): number;
  allReduce?(group: number, t: N): void;
  allGather?(group: number, t: N): N;
  broadcast?(group: number, t: N, root: number): void;
  barrier?(group: number, device?: string): void;
  destroyProcessGroup?(group: number): void;
  cachedBytes(): number;
  manualSeed(seed: number): void;
  rngState(device: string): N;
  setRngState(state: N, device: string): void;
  setNumThreads(threads: number): void;
  getNumThreads(): number;
  cudaIsAvailable(): boolean;
  version(): string;
}

const INSTALL_HINT =
  'inbatch training needs libtorch. Install it with:\n' +
  '  apt-get install -y --no-install-recommends libtorch-dev libopenblas0-pthread\n' +
  'then build the addon: npm rebuild inbatch (in a project that installed inbatch), or npm run build:native (in a checkout of inbatch)\n' +
  '(or point INBATCH_LIBTORCH at another libtorch, e.g. a CUDA build, and rebuild).';

export class LibtorchMissingError extends Error {
  constructor(detail: string) {
    super(`${INSTALL_HINT}\n(${detail})`);
    this.name = 'LibtorchMissingError';
  }
}

let addon: NativeAddon | undefined;

function addonPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'native', 'build', 'Release', 'inbatch_torch.node');
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new LibtorchMissingError('native/build/Release/inbatch_torch.node was not built');
}

export function libtorchAvailable(): boolean {
  try {
    loadNative();
    return true;
  } catch {
    return false;
  }
}

export function loadNative(): NativeAddon {
  if (addon) return addon;
  process.env.OMP_WAIT_POLICY ??= 'passive';
  const path = addonPath();
  const require = createRequire(import.meta.url);
  try {
    addon = require(path) as NativeAddon;
  } catch (e) {
    throw new LibtorchMissingError(`loading ${path} failed: ${(e as Error).message}`);
  }
  const threads = Number(process.env.INBATCH_THREADS) || availableParallelism();
  addon.setNumThreads(threads);
  return addon;
}
