// Loading a model folder from CLI flags, with the settings a command may override.
import { loadModel } from '../model/folder.js';
import type { InbatchSettings, Pooling } from '../model/config.js';
import type { DualEncoder } from '../model/dual-encoder.js';
import type { FlagValues } from './flags.js';

export function modelOverrides(f: FlagValues): Partial<InbatchSettings> {
  const o: Partial<InbatchSettings> = {};
  if (f['output-emb-size'] !== undefined) o.output_emb_size = Number(f['output-emb-size']);
  if (f['max-seq-length'] !== undefined) o.max_seq_length = Number(f['max-seq-length']);
  if (f.pooling !== undefined) o.pooling = String(f.pooling) as Pooling;
  return o;
}

export function loadModelFromFlags(dir: string, f: FlagValues, quiet = false): DualEncoder {
  const { model, report } = loadModel(dir, modelOverrides(f));
  if (!quiet && report.initialised.length) console.error(`note: ${dir} had no ${report.initialised.join(', ')}; initialised randomly`);
  return model;
}
