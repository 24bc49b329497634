// Matryoshka dimensions a model was trained for (train --matryoshka-dims), with the Recall@10 measured
// at each, as config.json records them under inbatch.matryoshka; and the one rule every consumer of a
// shortened embedding follows: a dimension the model was trained for, or an explicit opt-in.
//   v[:d] / |v[:d]|     the first d values, renormalised (as the loss trained them)
import { UsageError } from '../util/errors.js';

export interface MatryoshkaRecord {
  /** trained prefix dimensions, the full one first */
  dims: number[];
  /** Recall@10 (percent) on the development set at each dimension ("256": 97.1), when one was evaluated */
  recall_at_10?: Record<string, number>;
}

/** The dimensions a model was trained for: its Matryoshka dimensions, else only its full size. */
export function trainedDimensions(matryoshka: MatryoshkaRecord | undefined, full: number): number[] {
  return matryoshka?.dims?.length ? matryoshka.dims.filter((d) => d <= full) : [full];
}

/** Checks a requested dimension; the message lists the trained ones (and their recall where measured). */
export function checkDimension(asked: number, matryoshka: MatryoshkaRecord | undefined, full: number, allowUntrained: boolean, flag = '--dimensions'): void {
  if (!Number.isInteger(asked) || asked < 1 || asked > full) throw new UsageError(`${flag} ${asked}: must be between 1 and the model's ${full} dimensions`);
  if (allowUntrained) return;
  const trained = trainedDimensions(matryoshka, full);
  if (trained.includes(asked)) return;
  throw new UsageError(`${flag} ${asked}: this model was trained for ${describeDimensions(matryoshka, full)}; `
    + 'a shorter prefix of an embedding not trained for it loses quality silently (pass --allow-untrained-dimensions to take it anyway)');
}

/** "256 (Recall@10 97.1), 64 (95.0)": the trained dimensions as a person reads them. */
export function describeDimensions(matryoshka: MatryoshkaRecord | undefined, full: number): string {
  return trainedDimensions(matryoshka, full).map((d) => {
    const r = matryoshka?.recall_at_10?.[String(d)];
    return r === undefined ? String(d) : `${d} (Recall@10 ${r.toFixed(1)})`;
  }).join(', ');
}

/** The first d values of a vector, renormalised. */
export function truncateVector(v: Float32Array, d: number): Float32Array {
  if (d >= v.length) return v;
  const out = v.slice(0, d);
  let norm = 0;
  for (let i = 0; i < d; i++) norm += out[i]! * out[i]!;
  norm = Math.sqrt(norm) || 1;
  for (let i = 0; i < d; i++) out[i]! /= norm;
  return out;
}

/** Refuses a malformed inbatch.matryoshka in a config file, naming it. */
export function checkMatryoshkaRecord(m: unknown, where: string): MatryoshkaRecord | undefined {
  if (m === undefined || m === null) return undefined;
  const bad = () => new Error(`${where}: inbatch.matryoshka must be {"dims": [256, 64, ...], "recall_at_10": {"256": 97.1, ...}}, got ${JSON.stringify(m).slice(0, 200)}`);
  if (typeof m !== 'object' || Array.isArray(m)) throw bad();
  const { dims, recall_at_10: recall } = m as Record<string, unknown>;
  if (!Array.isArray(dims) || !dims.length || !dims.every((d) => Number.isSafeInteger(d) && d > 0)) throw bad();
  if (recall !== undefined && (typeof recall !== 'object' || recall === null || Array.isArray(recall) || !Object.values(recall).every((r) => typeof r === 'number' && Number.isFinite(r)))) throw bad();
  return m as MatryoshkaRecord;
}
