// Typed functions over the libtorch addon. Every op returns a new Tensor
// (registered in the current tidy scope); ops ending in _ update in place.
import { loadNative } from './native.js';
import { Tensor, type DType, type TensorData } from './tensor.js';

const n = () => loadNative();
const wrap = (h: Tensor['native']) => new Tensor(h);
type Scalarish = Tensor | number;

let defaultDevice = 'cpu';
export function setDefaultDevice(device: string): void { defaultDevice = device; }
export function getDefaultDevice(): string { return defaultDevice; }

// ---- creation and data --------------------------------------------------------
export const fromData = (data: TensorData, shape: number[], device = defaultDevice) => wrap(n().fromData(data, shape, device));
export const zeros = (shape: number[], dtype: DType = 'float32') => wrap(n().zeros(shape, dtype, defaultDevice));
export const ones = (shape: number[], dtype: DType = 'float32') => wrap(n().ones(shape, dtype, defaultDevice));
export const full = (shape: number[], value: number, dtype: DType = 'float32') => wrap(n().full(shape, value, dtype, defaultDevice));
export const randn = (shape: number[], dtype: DType = 'float32') => wrap(n().randn(shape, dtype, defaultDevice));
export const eye = (size: number, dtype: DType = 'float32') => wrap(n().eye(size, dtype, defaultDevice));
export const arange = (end: number, dtype: DType = 'int64') => wrap(n().arange(end, dtype, defaultDevice));
export const toData = (t: Tensor): TensorData => n().toData(t.native);
export const toFloat32 = (t: Tensor): Float32Array => {
  const d = n().toData(t.native);
  return d instanceof Float32Array ? d : Float32Array.from(d as Float64Array);
};
export const item = (t: Tensor): number => n().item(t.native);
export const toDtype = (t: Tensor, dtype: DType) => wrap(n().toDtype(t.native, dtype));
export const toDevice = (t: Tensor, device: string) => wrap(n().toDevice(t.native, device));

// ---- autograd -------------------------------------------------------------------
export const setRequiresGrad = (t: Tensor, on = true) => { n().setRequiresGrad(t.native, on); return t; };
export const grad = (t: Tensor): Tensor | null => { const g = n().grad(t.native); return g === null ? null : wrap(g); };
export const clearGrad = (t: Tensor) => n().clearGrad(t.native);
export const backward = (t: Tensor) => n().backward(t.native);
export const detach = (t: Tensor) => wrap(n().detach(t.native));
export function noGrad<R>(fn: () => R): R {
  const was = n().isGradEnabled();
  n().setGradEnabled(false);
  try { return fn(); } finally { n().setGradEnabled(was); }
}

// ---- elementwise and reductions ---------------------------------------------------
export const add = (a: Tensor, b: Scalarish) => typeof b === 'number' ? wrap(n().addScalar(a.native, b)) : wrap(n().add(a.native, b.native));
export const sub = (a: Tensor, b: Scalarish) => typeof b === 'number' ? wrap(n().addScalar(a.native, -b)) : wrap(n().sub(a.native, b.native));
export const mul = (a: Tensor, b: Scalarish) => typeof b === 'number' ? wrap(n().mulScalar(a.native, b)) : wrap(n().mul(a.native, b.native));
export const div = (a: Tensor, b: Scalarish) => typeof b === 'number' ? wrap(n().mulScalar(a.native, 1 / b)) : wrap(n().div(a.native, b.native));
export const pow = (a: Tensor, e: number) => wrap(n().pow(a.native, e));
export const sqrt = (a: Tensor) => wrap(n().sqrt(a.native));
export const tanh = (a: Tensor) => wrap(n().tanh(a.native));
export const gelu = (a: Tensor) => wrap(n().gelu(a.native));
export const relu = (a: Tensor) => wrap(n().relu(a.native));
export const softmax = (a: Tensor, dim: number) => wrap(n().softmax(a.native, dim));
export const logSoftmax = (a: Tensor, dim: number) => wrap(n().logSoftmax(a.native, dim));
export const clampMin = (a: Tensor, min: number) => wrap(n().clampMin(a.native, min));
export const sum = (a: Tensor, dims?: number[], keepDim = false) => wrap(n().sum(a.native, dims ?? null, keepDim));
export const mean = (a: Tensor, dims?: number[], keepDim = false) => wrap(n().mean(a.native, dims ?? null, keepDim));
export const abs = (a: Tensor) => wrap(n().abs(a.native));
/** The largest element, as a 0-d tensor. */
export const max = (a: Tensor) => wrap(n().maxAll(a.native));
export const argmax = (a: Tensor, dim: number, keepDim = false) => wrap(n().argmax(a.native, dim, keepDim));
export const topk = (a: Tensor, k: number, dim = -1): [Tensor, Tensor] => {
  const [v, i] = n().topk(a.native, k, dim);
  return [wrap(v), wrap(i)];
};
export const norm = (a: Tensor) => wrap(n().norm(a.native));

// ---- shape ------------------------------------------------------------------------
export const reshape = (a: Tensor, shape: number[]) => wrap(n().reshape(a.native, shape));
export const transpose = (a: Tensor, d0: number, d1: number) => wrap(n().transpose(a.native, d0, d1));
export const permute = (a: Tensor, dims: number[]) => wrap(n().permute(a.native, dims));
export const contiguous = (a: Tensor) => wrap(n().contiguous(a.native));
export const unsqueeze = (a: Tensor, dim: number) => wrap(n().unsqueeze(a.native, dim));
export const select = (a: Tensor, dim: number, index: number) => wrap(n().select(a.native, dim, index));
export const narrow = (a: Tensor, dim: number, start: number, length: number) => wrap(n().narrow(a.native, dim, start, length));
export const indexSelect = (a: Tensor, dim: number, index: Tensor) => wrap(n().indexSelect(a.native, dim, index.native));
export const cat = (parts: Tensor[], dim: number) => wrap(n().cat(parts.map((p) => p.native), dim));
export const clone = (a: Tensor) => wrap(n().clone(a.native));

// ---- neural network pieces ----------------------------------------------------------
export const matmul = (a: Tensor, b: Tensor) => wrap(n().matmul(a.native, b.native));
/** y = x Wᵀ + b, with W stored [out, in] as in PyTorch and Hugging Face. */
export const linear = (x: Tensor, weight: Tensor, bias?: Tensor) => wrap(n().linear(x.native, weight.native, bias?.native));
export const embedding = (weight: Tensor, ids: Tensor) => wrap(n().embedding(weight.native, ids.native));
export const layerNorm = (x: Tensor, weight: Tensor, bias: Tensor, eps: number) =>
  wrap(n().layerNorm(x.native, [weight.shape[0]], weight.native, bias.native, eps));
export const dropout = (x: Tensor, p: number, training: boolean) => (training && p > 0 ? wrap(n().dropout(x.native, p, true)) : x);
export const l2Normalize = (x: Tensor, dim = -1, eps = 1e-12) => wrap(n().normalize(x.native, dim, eps));
/** Mean cross-entropy of logits [N, C] against int64 class labels [N]. */
export const crossEntropy = (logits: Tensor, labels: Tensor) => wrap(n().crossEntropy(logits.native, labels.native));

// ---- in-place updates ------------------------------------------------------------------
export const mulScalar_ = (t: Tensor, s: number) => n().mulScalar_(t.native, s);
export const add_ = (t: Tensor, other: Tensor, alpha = 1) => n().add_(t.native, other.native, alpha);
export const addcmul_ = (t: Tensor, a: Tensor, b: Tensor, value: number) => n().addcmul_(t.native, a.native, b.native, value);
export const addcdiv_ = (t: Tensor, a: Tensor, b: Tensor, value: number) => n().addcdiv_(t.native, a.native, b.native, value);
export const copy_ = (dst: Tensor, src: Tensor) => n().copy_(dst.native, src.native);
/** t's slices at index (int64) along dim, replaced by source's, in place. */
export const indexCopy_ = (t: Tensor, dim: number, index: Tensor, source: Tensor) => n().indexCopy_(t.native, dim, index.native, source.native);
export const fill_ = (t: Tensor, value: number) => n().fill_(t.native, value);
export const normal_ = (t: Tensor, mean: number, std: number) => n().normal_(t.native, mean, std);

// ---- runtime ------------------------------------------------------------------------------
export const manualSeed = (seed: number) => n().manualSeed(seed);
/** The device's random generator state (a CPU uint8 tensor); setRngState replays from it (the same dropout masks). */
export const rngState = (device = defaultDevice) => wrap(n().rngState(device));
export const setRngState = (state: Tensor, device = defaultDevice) => n().setRngState(state.native, device);
export const setNumThreads = (threads: number) => n().setNumThreads(threads);
export const getNumThreads = (): number => n().getNumThreads();
export const cudaIsAvailable = (): boolean => n().cudaIsAvailable();
export const libtorchVersion = (): string => n().version();
/** Bytes of freed CPU tensor memory the addon's caching allocator keeps for reuse. */
export const cpuCacheBytes = (): number => n().cachedBytes();
/** Returns the caching allocator's kept memory to the system. */
export const emptyCpuCache = (): void => n().emptyCache();
