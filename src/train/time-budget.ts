// Training to a wall-clock budget: from the pace of the steps run so far, the total number of
// steps is refitted (at step 10 after the start, then every 50) so the schedule still ends at zero on time.

export class TimeBudget {
  private readonly started = Date.now();

  constructor(readonly seconds: number, private readonly firstStep: number) {}

  shouldRefit(step: number): boolean {
    const since = step - this.firstStep;
    return since >= 10 && since % 50 === 10;
  }

  /** Steps that fit in the budget, never fewer than step + 1 nor more than `limit`. */
  totalSteps(step: number, limit: number): number {
    const elapsed = (Date.now() - this.started) / 1000;
    const perStep = elapsed / (step - this.firstStep);
    const fit = step + Math.floor((this.seconds - elapsed) / perStep);
    return Math.max(step + 1, Math.min(limit, fit));
  }
}
