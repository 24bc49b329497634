// The one ranking vocabulary: a Hit is an id with its score; TopK keeps the k best hits offered,
// in a binary min-heap whose root is the worst kept. Every retriever (vector indexes, BM25,
// fusion) returns Hit[] best first.
//   ties     'smaller-id': of equal scores the smaller id ranks first and is kept (deterministic
//            whatever order ids are offered in); 'first-offered': an equal score never displaces
//            a kept one (for ids offered in increasing order, the same ranking, and cheaper)
//   floor    only scores above it are kept (BM25: 0, a document sharing no term is no hit)

export interface Hit<Id extends number | string = number> {
  /** the id given to the index: for a corpus, the text's position (TREC runs: document ids) */
  id: Id;
  score: number;
}

export interface TopKOptions {
  ties?: 'smaller-id' | 'first-offered';
  floor?: number;
}

export class TopK {
  private readonly ids: Int32Array;
  private readonly scores: Float64Array;
  private readonly smallerIdWins: boolean;
  private readonly floor: number;
  size = 0;

  constructor(readonly k: number, o: TopKOptions = {}) {
    this.ids = new Int32Array(Math.max(0, k));
    this.scores = new Float64Array(Math.max(0, k));
    this.smallerIdWins = (o.ties ?? 'smaller-id') === 'smaller-id';
    this.floor = o.floor ?? -Infinity;
  }

  /** A score must be above this to be kept: the floor until k are kept, then the worst kept score. */
  get threshold(): number {
    return this.size < this.k ? this.floor : this.scores[0]!;
  }

  /** Whether (id a, score sa) ranks below (id b, score sb). */
  private worse(sa: number, a: number, sb: number, b: number): boolean {
    return sa < sb || (sa === sb && this.smallerIdWins && a > b);
  }

  push(id: number, score: number): void {
    if (this.k <= 0 || !(score > this.floor)) return;
    const { ids, scores } = this;
    let c: number;
    if (this.size < this.k) {
      c = this.size++;
      while (c > 0) {
        const parent = (c - 1) >> 1;
        if (!this.worse(score, id, scores[parent]!, ids[parent]!)) break; // not worse than the parent: stays below it
        ids[c] = ids[parent]!; scores[c] = scores[parent]!; c = parent;
      }
    } else {
      if (!this.worse(scores[0]!, ids[0]!, score, id)) return; // not better than the worst kept
      c = 0;
      for (;;) {
        const l = 2 * c + 1;
        if (l >= this.size) break;
        const r = l + 1;
        const m = r < this.size && this.worse(scores[r]!, ids[r]!, scores[l]!, ids[l]!) ? r : l;
        if (!this.worse(scores[m]!, ids[m]!, score, id)) break; // the worse child is not worse than the new hit
        ids[c] = ids[m]!; scores[c] = scores[m]!; c = m;
      }
    }
    ids[c] = id; scores[c] = score;
  }

  /** The kept hits, best first (equal scores: smaller id first). */
  sorted(): Hit[] {
    return Array.from({ length: this.size }, (_, i) => ({ id: this.ids[i]!, score: this.scores[i]! })).sort((a, b) => b.score - a.score || a.id - b.id);
  }
}
