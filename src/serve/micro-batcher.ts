// Micro-batching: texts from concurrent requests that arrive within a short window are
// embedded in one call, which keeps onnxruntime busy with full batches under load.
export type EmbedFn = (texts: string[]) => Promise<Float32Array[]>;

interface Pending {
  texts: string[];
  resolve: (v: Float32Array[]) => void;
  reject: (e: unknown) => void;
}

export class MicroBatcher {
  private queue: Pending[] = [];
  private queued = 0;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> = Promise.resolve();
  batches = 0;
  textsEmbedded = 0;

  constructor(private readonly embed: EmbedFn, private readonly maxBatch = 64, private readonly waitMs = 2) {}

  submit(texts: string[]): Promise<Float32Array[]> {
    return new Promise((resolve, reject) => {
      this.queue.push({ texts, resolve, reject });
      this.queued += texts.length;
      if (this.queued >= this.maxBatch) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.waitMs);
    });
  }

  private flush(): void {
    if (this.timer) { clearTimeout(this.timer); this.timer = null; }
    const work = this.queue;
    this.queue = [];
    this.queued = 0;
    if (!work.length) return;
    // one embedding call at a time; the next batch gathers while this one runs
    this.running = this.running.then(async () => {
      try {
        const vectors = await this.embed(work.flatMap((p) => p.texts));
        this.batches++;
        this.textsEmbedded += vectors.length;
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
