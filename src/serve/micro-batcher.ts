// Micro-batching: inputs (tokenised texts) from concurrent requests that arrive within a short
// window are embedded in one call, which keeps onnxruntime busy with full batches under load.
// A model call closes at maxBatch inputs or at the token budget, whichever comes first: what is queued
// (one large request, or many small ones) is cut into as many model calls as that takes, one after
// another, so no request is refused for its size and no model call exceeds the budget (as TEI does).
export type EmbedFn<T> = (inputs: T[]) => Promise<Float32Array[]>;

interface Pending<T> {
  texts: T[];
  resolve: (v: Float32Array[]) => void;
  reject: (e: unknown) => void;
}

export interface BatcherOptions<T> {
  /** texts per model call */
  maxBatch: number;
  /** how long the first text waits for company */
  waitMs: number;
  /** tokens per model call (TEI's max_batch_tokens), counted by countTokens; 0: no budget */
  maxTokens?: number;
  countTokens?: (input: T) => number;
  /** called as each model call starts: its texts, and the texts still waiting behind it */
  onBatch?: (texts: number, waiting: number) => void;
}

export class MicroBatcher<T> {
  private queue: Pending<T>[] = [];
  private queued = 0;
  private queuedTokens = 0;
  /** texts submitted and not yet handed to the model */
  private waiting = 0;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> = Promise.resolve();
  private readonly o: BatcherOptions<T>;

  constructor(private readonly embed: EmbedFn<T>, options: Partial<BatcherOptions<T>> = {}) {
    this.o = { maxBatch: 64, waitMs: 2, ...options };
  }

  submit(texts: T[]): Promise<Float32Array[]> {
    return new Promise((resolve, reject) => {
      this.queue.push({ texts, resolve, reject });
      this.queued += texts.length;
      this.waiting += texts.length;
      if (this.o.maxTokens && this.o.countTokens) for (const t of texts) this.queuedTokens += this.o.countTokens(t);
      if (this.queued >= this.o.maxBatch || (this.o.maxTokens && this.queuedTokens >= this.o.maxTokens)) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.o.waitMs);
    });
  }

  private flush(): void {
    if (this.timer) { clearTimeout(this.timer); this.timer = null; }
    const work = this.queue;
    this.queue = [];
    this.queued = 0;
    this.queuedTokens = 0;
    if (!work.length) return;
    // one embedding call at a time; the next batch gathers while this one runs
    this.running = this.running.then(async () => {
      try {
        const texts = work.flatMap((p) => p.texts);
        const vectors: Float32Array[] = [];
        for (const [from, to] of this.modelCalls(texts)) {
          this.waiting -= to - from;
          this.o.onBatch?.(to - from, this.waiting);
          for (const v of await this.embed(texts.slice(from, to))) vectors.push(v);
        }
        let offset = 0;
        for (const p of work) {
          p.resolve(vectors.slice(offset, offset + p.texts.length));
          offset += p.texts.length;
        }
      } catch (e) {
        for (const p of work) p.reject(e);
      }
    });
  }

  /** [from, to) ranges of at most maxBatch texts and maxTokens tokens each (a text over the budget alone). */
  private modelCalls(texts: T[]): [number, number][] {
    const calls: [number, number][] = [];
    const budget = this.o.maxTokens && this.o.countTokens ? this.o.maxTokens : 0;
    let from = 0, tokens = 0;
    texts.forEach((t, i) => {
      const n = budget ? this.o.countTokens!(t) : 0;
      if (i > from && (i - from >= this.o.maxBatch || (budget && tokens + n > budget))) {
        calls.push([from, i]);
        from = i;
        tokens = 0;
      }
      tokens += n;
    });
    if (from < texts.length) calls.push([from, texts.length]);
    return calls;
  }
}
