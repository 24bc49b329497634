// Epochs planned lazily: one epoch's batches at a time, built from (seed, epoch) alone, so a
// resumed run sees exactly the batches an uninterrupted one would, and a run of 100 epochs
// never holds 100 plans.
import { planEpoch, type EpochPlan, type SamplerOptions } from './sampler.js';

export class EpochPlanner {
  private cached: { epoch: number; plan: EpochPlan } | undefined;

  constructor(private readonly keys: string[][], private readonly lengths: number[], private readonly options: SamplerOptions) {}

  plan(epoch: number): EpochPlan {
    if (this.cached?.epoch !== epoch) this.cached = { epoch, plan: planEpoch(this.keys, this.lengths, this.options, epoch) };
    return this.cached.plan;
  }

  /** Steps of a run of `epochs` epochs, estimated from the first epoch (later ones differ by a few deferred rows at most). */
  plannedSteps(epochs: number): number {
    return this.plan(0).batches.length * epochs;
  }
}
