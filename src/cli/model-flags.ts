// Loading a libtorch model folder from CLI flags, with the settings a command may override.
import { existsSync } from 'node:fs';
import type { InbatchSettings, Pooling } from '../model/config.js';
import type { DualEncoder } from '../model/dual-encoder.js';
import { loadModel, loadPaddleModel } from '../model/folder.js';
import { UsageError } from '../util/errors.js';

export interface ModelOverrideFlags {
  paddleBase?: string;
  outputEmbSize?: number;
  maxSeqLength?: number;
  pooling?: Pooling;
}

export function modelOverrides(f: ModelOverrideFlags): Partial<InbatchSettings> {
  const o: Partial<InbatchSettings> = {};
  if (f.outputEmbSize !== undefined) o.output_emb_size = f.outputEmbSize;
  if (f.maxSeqLength !== undefined) o.max_seq_length = f.maxSeqLength;
  if (f.pooling !== undefined) o.pooling = f.pooling;
  return o;
}

export function loadModelFromFlags(dir: string, f: ModelOverrideFlags, quiet = false): DualEncoder {
  if (!existsSync(dir)) throw new UsageError(`--model ${dir} does not exist (create one with inbatch init)`);
  const { model, report } = f.paddleBase ? loadPaddleModel(dir, f.paddleBase, modelOverrides(f)) : loadModel(dir, modelOverrides(f));
  if (!quiet && report.initialised.length) console.error(`note: ${dir} had no ${report.initialised.join(', ')}; initialised randomly`);
  if (!quiet && report.unused.length) {
    console.error(`warning: ${dir}: ${report.unused.length} tensor(s) in the checkpoint are not used by this ${model.config.model_type} model: ${report.unused.slice(0, 5).join(', ')}${report.unused.length > 5 ? ', ...' : ''}`);
  }
  return model;
}
