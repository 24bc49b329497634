// Calibration pairs: a seeded sample of query<TAB>positive rows, to fit a hybrid fusion on the
// user's kind of queries without the labels of any evaluated set. train writes one into every model
// folder it saves (calibration_pairs.tsv), export copies it, and recall, mteb and serve use it.
import { existsSync } from 'node:fs';
import { pairRows } from './input-files.js';
import { Random } from '../util/random.js';

export interface CalibrationQuery { query: string; positive: string }

/**
 * The sample of its training pairs a trained model folder carries (train writes it, export copies
 * it): the default calibration, since its queries are the user's kind of queries.
 */
export const CALIBRATION_PAIRS_FILE = 'calibration_pairs.tsv';
export const MODEL_CALIBRATION_PAIRS = 1000;

/**
 * A seeded sample of query<TAB>positive rows of pair files (a reservoir over the first `maxRows`
 * rows: the files are streamed once, and a huge training set is not read to its end for a sample).
 */
export async function sampleCalibrationPairs(files: string | string[], count: number, seed: number, maxRows = 1_000_000): Promise<CalibrationQuery[]> {
  const random = new Random(seed);
  const out: CalibrationQuery[] = [];
  let seen = 0;
  for await (const { cols } of pairRows(typeof files === 'string' ? [files] : files)) {
    seen++;
    const pair = { query: cols[0]!, positive: cols[1]! };
    if (out.length < count) out.push(pair);
    else {
      const j = Math.floor(random.next() * seen);
      if (j < count) out[j] = pair;
    }
    if (seen >= maxRows) break;
  }
  return out;
}

export function formatCalibrationPairs(pairs: CalibrationQuery[]): string {
  return pairs.map((p) => `${p.query}\t${p.positive}\n`).join('');
}

/** The model folder's calibration pairs file content for training inputs (pair files, or a prepared folder's sources that still exist). */
export async function trainingCalibrationFile(files: string[], seed: number): Promise<Record<string, string>> {
  const present = files.filter((f) => existsSync(f));
  if (!present.length) return {};
  const pairs = await sampleCalibrationPairs(present, MODEL_CALIBRATION_PAIRS, seed);
  return pairs.length ? { [CALIBRATION_PAIRS_FILE]: formatCalibrationPairs(pairs) } : {};
}
