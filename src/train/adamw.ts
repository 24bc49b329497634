// AdamW (Loshchilov & Hutter) with decoupled weight decay, written over in-place tensor ops.
// Bias and LayerNorm parameters get no weight decay, as in BERT and PaddleNLP.
import * as T from '../torch/index.js';
import type { Tensor } from '../torch/index.js';

export interface AdamWOptions {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

export const DEFAULT_ADAMW: AdamWOptions = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 };

export function decays(name: string): boolean {
  return !(name.endsWith('.bias') || name.includes('LayerNorm') || name.includes('layer_norm'));
}

export class AdamW {
  step = 0;
  readonly expAvg = new Map<string, Tensor>();
  readonly expAvgSq = new Map<string, Tensor>();
  readonly options: AdamWOptions;

  constructor(readonly params: [string, Tensor][], options: Partial<AdamWOptions> = {}) {
    this.options = { ...DEFAULT_ADAMW, ...options };
    for (const [name, p] of params) {
      this.expAvg.set(name, T.keep(T.zeros(p.shape, p.dtype)));
      this.expAvgSq.set(name, T.keep(T.zeros(p.shape, p.dtype)));
    }
  }

  /** One update with learning rate lr, using each parameter's .grad. */
  update(lr: number): void {
    const { beta1, beta2, eps, weightDecay } = this.options;
    this.step++;
    const bias1 = 1 - beta1 ** this.step;
    const bias2 = 1 - beta2 ** this.step;
    T.noGrad(() => T.tidy(() => {
      for (const [name, p] of this.params) {
        const g = T.grad(p);
        if (!g) continue;
        const m = this.expAvg.get(name)!;
        const v = this.expAvgSq.get(name)!;
        if (weightDecay > 0 && decays(name)) T.mulScalar_(p, 1 - lr * weightDecay);
        T.mulScalar_(m, beta1);
        T.add_(m, g, 1 - beta1);
        T.mulScalar_(v, beta2);
        T.addcmul_(v, g, g, 1 - beta2);
        const denom = T.add(T.div(T.sqrt(v), Math.sqrt(bias2)), eps);
        T.addcdiv_(p, m, denom, -lr / bias1);
      }
    }));
  }

  zeroGrad(): void {
    for (const [, p] of this.params) T.clearGrad(p);
  }
}
