// Gradient clipping by global norm, as torch.nn.utils.clip_grad_norm_.
import * as T from '../torch/index.js';
import type { Tensor } from '../torch/index.js';

/** Scales all gradients so their joint L2 norm is at most maxNorm; returns the norm before clipping. */
export function clipGradNorm(params: Tensor[], maxNorm: number): number {
  return T.noGrad(() => T.tidy(() => {
    const grads = params.map((p) => T.grad(p)).filter((g): g is Tensor => g !== null);
    let sq = 0;
    for (const g of grads) sq += T.item(T.norm(g)) ** 2;
    const total = Math.sqrt(sq);
    const coef = maxNorm / (total + 1e-6);
    if (maxNorm > 0 && coef < 1) for (const g of grads) T.mulScalar_(g, coef);
    return total;
  }));
}
