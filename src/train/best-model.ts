// Keeps track of the best evaluation so far by one score (higher is better): model_best follows it.
import type { EvalResult } from './options.js';

export class BestModelTracker {
  constructor(readonly metric: string, public bestScore: number | null = null, public bestStep: number | null = null) {}

  /** True when this evaluation is a new best (the first evaluation always is). */
  consider(step: number, result: EvalResult): boolean {
    const value = result.scores[this.metric];
    if (value === undefined) throw new Error(`the evaluator gave no "${this.metric}" score (it gave ${Object.keys(result.scores).join(', ') || 'none'})`);
    if (this.bestScore !== null && value <= this.bestScore) return false;
    this.bestScore = value;
    this.bestStep = step;
    return true;
  }
}
