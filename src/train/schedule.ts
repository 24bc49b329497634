/** Linear warmup from 0 to peak over warmupSteps, then linear decay to 0 at totalSteps (PaddleNLP LinearDecayWithWarmup). */
export function linearWarmupDecay(step: number, peak: number, warmupSteps: number, totalSteps: number): number {
  if (warmupSteps > 0 && step < warmupSteps) return (peak * step) / warmupSteps;
  if (totalSteps <= warmupSteps) return peak;
  return peak * Math.max(0, (totalSteps - step) / (totalSteps - warmupSteps));
}
