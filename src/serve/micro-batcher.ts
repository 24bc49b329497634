// Micro-batching: inputs (tokenised texts) from concurrent requests that arrive within a short
// window are embedded in one call, which keeps onnxruntime busy with full batches under load.
// A model call closes at maxBatch inputs or at the token budget, whichever comes first.
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
        this.waiting -= texts.length;
        this.o.onBatch?.(texts.length, this.waiting);
        const vectors = await this.embed(texts);
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
}
