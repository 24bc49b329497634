// From random weights a dual encoder can sit at the "collapse" loss: every query scores every
// title the same, so each row's cross-entropy is
//   log(1 + (T - 1) · exp(margin · scale))      (T titles in the batch, the positive's logit lowered by margin·scale)
// which is about log T + margin·scale. A run that stays within `tolerance` of it for `window`
// steps is not learning; the watch says so once, naming the settings that usually fix it.

export function collapseLoss(titles: number, margin: number, scale: number): number {
  return Math.log1p((titles - 1) * Math.exp(margin * scale));
}

export class CollapseWatch {
  private stuck = 0;
  private warned = false;

  constructor(private readonly margin: number, private readonly scale: number, readonly window = 200, readonly tolerance = 0.05) {}

  /** Returns a warning the first time the loss has stayed at the collapse value for `window` steps. */
  observe(loss: number, titles: number): string | undefined {
    const collapse = collapseLoss(titles, this.margin, this.scale);
    this.stuck = Math.abs(loss - collapse) <= this.tolerance ? this.stuck + 1 : 0;
    if (this.warned || this.stuck < this.window) return undefined;
    this.warned = true;
    return `the loss has stayed at the collapse value ${collapse.toFixed(3)} (log(1 + (T-1)·e^(margin·scale))) for ${this.window} steps: the model is not learning. ` +
      'From random weights use mean pooling and no dropout (inbatch init --pooling mean --dropout 0, or train --pooling mean), or a higher --learning-rate (5e-4 for the small config).';
  }
}
