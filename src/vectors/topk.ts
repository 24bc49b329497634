// Keeps the k largest scores seen so far in a binary min-heap.
export class TopK {
  readonly ids: Int32Array;
  readonly scores: Float32Array;
  size = 0;

  constructor(readonly k: number) {
    this.ids = new Int32Array(k);
    this.scores = new Float32Array(k);
  }

  /** Lowest score kept, or -Infinity while not full. */
  get threshold(): number {
    return this.size < this.k ? -Infinity : this.scores[0]!;
  }

  push(id: number, score: number): void {
    const { ids, scores } = this;
    if (this.size < this.k) {
      let i = this.size++;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (scores[parent]! <= score) break;
        ids[i] = ids[parent]!; scores[i] = scores[parent]!; i = parent;
      }
      ids[i] = id; scores[i] = score;
      return;
    }
    if (score <= scores[0]!) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= this.size) break;
      const r = l + 1;
      const c = r < this.size && scores[r]! < scores[l]! ? r : l;
      if (scores[c]! >= score) break;
      ids[i] = ids[c]!; scores[i] = scores[c]!; i = c;
    }
    ids[i] = id; scores[i] = score;
  }

  /** Hits sorted best first; ties broken by smaller id, so results are deterministic. */
  sorted(): { id: number; score: number }[] {
    const out = [];
    for (let i = 0; i < this.size; i++) out.push({ id: this.ids[i]!, score: this.scores[i]! });
    return out.sort((a, b) => b.score - a.score || a.id - b.id);
  }
}
