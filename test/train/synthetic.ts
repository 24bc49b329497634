// A learnable synthetic pair set: each "concept" owns a few characters; a query and its
// positive are different random draws from the same concept, with a noise character.
import type { TextPair } from '../../src/data/pairs.js';
import { Random } from '../../src/util/random.js';
import { cjkChars } from '../helpers.js';

export const SYNTHETIC_CHARS = cjkChars(400);

export function syntheticPairs(concepts: number, pairsPerConcept: number, seed: number): { train: TextPair[]; heldOut: TextPair[] } {
  const rng = new Random(seed);
  const pick = <T>(xs: T[]) => xs[Math.floor(rng.next() * xs.length)]!;
  const conceptChars = Array.from({ length: concepts }, (_, c) => SYNTHETIC_CHARS.slice(c * 6, c * 6 + 6));
  const noise = SYNTHETIC_CHARS.slice(concepts * 6);
  const sentence = (c: number) => {
    const own = rng.shuffle([...conceptChars[c]!]).slice(0, 3 + Math.floor(rng.next() * 2));
    own.splice(Math.floor(rng.next() * own.length), 0, pick(noise), pick(noise));
    return own.join('');
  };
  const make = (count: number) => {
    const out: TextPair[] = [];
    for (let c = 0; c < concepts; c++) for (let i = 0; i < count; i++) out.push({ query: sentence(c), positive: sentence(c), line: out.length + 1 });
    return out;
  };
  return { train: make(pairsPerConcept), heldOut: make(1) };
}
