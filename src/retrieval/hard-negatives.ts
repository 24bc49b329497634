// Hard-negative mining: for a (query, positive) pair, texts the model ranks high for the query
// that are not the positive. The trouble is false negatives (texts that answer the query as well
// as the positive does), so candidates are filtered before sampling:
//   window      only ranks [rangeMin, rangeMax) of the query's ranking are candidates (0-based)
//   identity    the positive itself and the query's own text are never negatives
//   margin      a candidate scoring above  score(query, positive) - margin  is dropped
//   max score   a candidate scoring above  maxScore  is dropped
//   duplicates  a text already chosen is not chosen again
// then K are taken from what is left: the best K (`top`) or K at random (`random`, seeded, kept in rank order).
import { Random } from '../util/random.js';
import type { Hit } from '../vectors/topk.js';

export interface MiningOptions {
  negatives: number;
  rangeMin: number;
  rangeMax: number;
  margin: number;
  maxScore: number;
  sampling: 'top' | 'random';
  seed: number;
}

export const DEFAULT_MINING: MiningOptions = { negatives: 1, rangeMin: 10, rangeMax: 100, margin: 0.1, maxScore: 1, sampling: 'top', seed: 42 };

export function checkMiningOptions(o: MiningOptions): void {
  if (!(Number.isInteger(o.negatives) && o.negatives >= 1)) throw new Error(`negatives must be an integer >= 1, got ${o.negatives}`);
  if (!(Number.isInteger(o.rangeMin) && o.rangeMin >= 0 && Number.isInteger(o.rangeMax) && o.rangeMax > o.rangeMin)) throw new Error(`the rank window [${o.rangeMin}, ${o.rangeMax}) is empty or not integer`);
  if (o.rangeMax - o.rangeMin < o.negatives) throw new Error(`the rank window [${o.rangeMin}, ${o.rangeMax}) holds fewer than ${o.negatives} candidates`);
}

/** Why candidates of the window were dropped, summed over rows. */
export interface MiningCounts {
  rows: number;
  /** rows given fewer negatives than asked (none at all included) */
  short: number;
  /** rows given no negative */
  empty: number;
  negatives: number;
  droppedIdentity: number;
  droppedMargin: number;
  droppedMaxScore: number;
  droppedDuplicate: number;
}

export function emptyCounts(): MiningCounts {
  return { rows: 0, short: 0, empty: 0, negatives: 0, droppedIdentity: 0, droppedMargin: 0, droppedMaxScore: 0, droppedDuplicate: 0 };
}

export class NegativeSelector {
  readonly counts = emptyCounts();
  private readonly random: Random;

  constructor(readonly options: MiningOptions = DEFAULT_MINING) {
    checkMiningOptions(options);
    this.random = new Random(options.seed);
  }

  /**
   * @param ranking the query's ranking from rank 0, best first (at least rangeMax long when the corpus allows); ids are the texts
   * @param exclude texts that are never negatives besides query and positive (e.g. the row's own hard negatives)
   */
  select(query: string, positive: string, positiveScore: number, ranking: readonly Hit<string>[], exclude: readonly string[] = []): string[] {
    const o = this.options, c = this.counts;
    const chosen = new Set(exclude);
    const pool: string[] = [];
    for (let r = o.rangeMin; r < Math.min(o.rangeMax, ranking.length); r++) {
      const { id: text, score } = ranking[r]!;
      if (text === positive || text === query) c.droppedIdentity++;
      else if (score > positiveScore - o.margin) c.droppedMargin++;
      else if (score > o.maxScore) c.droppedMaxScore++;
      else if (chosen.has(text)) c.droppedDuplicate++;
      else {
        chosen.add(text);
        pool.push(text);
      }
    }
    let picked = pool;
    if (pool.length > o.negatives) {
      if (o.sampling === 'top') picked = pool.slice(0, o.negatives);
      else {
        const at = pool.map((_, i) => i);
        this.random.shuffle(at);
        picked = at.slice(0, o.negatives).sort((a, b) => a - b).map((i) => pool[i]!);
      }
    }
    c.rows++;
    c.negatives += picked.length;
    if (picked.length < o.negatives) c.short++;
    if (picked.length === 0) c.empty++;
    return picked;
  }
}
