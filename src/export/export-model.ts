// inbatch export: a model folder -> an ONNX folder laid out like a transformers.js
// feature-extraction model (config.json, tokenizer files, onnx/model.onnx, onnx/model_fp16.onnx).
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { CALIBRATION_PAIRS_FILE } from '../data/calibration-pairs.js';
import { basename, join, resolve } from 'node:path';
import { embeddingSize } from '../model/config.js';
import { checkDimension } from '../vectors/dimensions.js';
import { EXPORT_SOURCE_FILE, modelFingerprint } from '../model/fingerprint.js';
import { LOSS_CURVE_FILE, TRAINING_RECORD_FILE, writeModelCard } from '../model/model-card.js';
import { readModelSource } from '../model/model-source.js';
import { writeSentenceTransformersFiles } from '../model/sentence-transformers.js';
import { weightProblems } from '../model/parameter-shapes.js';
import { writeTokenizerFiles } from '../text/tokenizer-files.js';
import { writeDirAtomic } from '../util/atomic.js';
import { buildEncoderGraph } from './bert-onnx.js';

export interface ExportReport {
  files: string[];
  bytes: Record<string, number>;
}

/** A folder written by exportModel (safe to replace with another export). */

export function isExportFolder(dir: string): boolean {
  return existsSync(join(dir, 'onnx', 'model.onnx')) && existsSync(join(dir, 'config.json'));
}

export interface ExportModelOptions {
  fp16: boolean;
  opset?: number;
  quantize?: boolean;
  /** a Matryoshka prefix the graph outputs (one the model was trained for, unless allowUntrainedDimensions) */
  dimensions?: number;
  allowUntrainedDimensions?: boolean;
}

export function exportModel(modelDir: string, outDir: string, options: ExportModelOptions): ExportReport {
  // the same reader as loading for training (any format: Hugging Face, sentence-transformers, PaddleNLP)
  const { config, tensors: weights, tokenizer, weightsPath } = readModelSource(modelDir);
  const full = embeddingSize(config);
  if (options.dimensions !== undefined) checkDimension(options.dimensions, config.inbatch.matryoshka, full, options.allowUntrainedDimensions ?? false);
  const dimensions = options.dimensions !== undefined && options.dimensions < full ? options.dimensions : undefined;
  if (config.inbatch.output_emb_size > 0 && !weights.has('emb_reduce_linear.weight')) {
    throw new Error(`${weightsPath}: no emb_reduce_linear (the projection); train the model or set inbatch.output_emb_size to 0`);
  }
  // the same check as loading for training, so the libtorch and ONNX paths never disagree on a model
  const { wrongShape, missing } = weightProblems(weights, config);
  const projection = weights.get('emb_reduce_linear.weight');
  if (config.inbatch.output_emb_size > 0 && projection && projection.shape.join('x') !== [config.inbatch.output_emb_size, config.hidden_size].join('x')) {
    wrongShape.push(`emb_reduce_linear.weight has shape [${projection.shape}] but the config needs [${config.inbatch.output_emb_size},${config.hidden_size}]`);
  }
  if (wrongShape.length) throw new Error(`${weightsPath}: ${wrongShape[0]}`);
  if (missing.length) throw new Error(`${weightsPath}: missing ${missing.length} parameter(s): ${missing.slice(0, 5).join(', ')}`);
  const opset = options.opset ?? 17;
  if (opset < 17) throw new Error(`--opset ${opset}: LayerNormalization needs opset 17 or later`);
  const report: ExportReport = { files: [], bytes: {} };
  writeDirAtomic(outDir, (tmp) => {
    mkdirSync(join(tmp, 'onnx'));
    // transformers.js' names: model.onnx (fp32), model_fp16.onnx, model_quantized.onnx (its "q8")
    const variants: [string, boolean, boolean][] = [['model.onnx', false, false]];
    if (options.fp16) variants.push(['model_fp16.onnx', true, false]);
    if (options.quantize) variants.push(['model_quantized.onnx', false, true]);
    for (const [file, fp16, q8] of variants) {
      const bytes = buildEncoderGraph(config, weights, { fp16, opset, q8, dimensions });
      writeFileSync(join(tmp, 'onnx', file), bytes);
      report.files.push(`onnx/${file}`);
      report.bytes[`onnx/${file}`] = bytes.length;
    }
    const exported = dimensions ? { ...config, inbatch: { ...config.inbatch, dimensions } } : config;
    writeFileSync(join(tmp, 'config.json'), JSON.stringify({ ...exported, architectures: ['BertModel'] }, null, 2) + '\n');
    writeTokenizerFiles(tokenizer, tmp, config.inbatch.max_seq_length);
    // sentence-transformers (ONNX backend): the first token of the graph's last_hidden_state (the embedding), then Normalize
    writeSentenceTransformersFiles(tmp, exported, undefined, true);
    // what was exported: serve compares it with the model an index was built by
    // (a prefix export is the same model at those dimensions, as index --dimensions records it)
    const source = { ...modelFingerprint(modelDir, config), ...(dimensions ? { dimensions } : {}) };
    writeFileSync(join(tmp, EXPORT_SOURCE_FILE), JSON.stringify(source, null, 2) + '\n');
    report.files.push('config.json', 'tokenizer.json', 'tokenizer_config.json', 'vocab.txt', EXPORT_SOURCE_FILE);
    // the sample of the training pairs travels with the model (serve's hybrid calibrates on it), and so does what
    // training recorded: the export's card shows the same command, hyper-parameters and evaluations
    for (const file of [CALIBRATION_PAIRS_FILE, TRAINING_RECORD_FILE, LOSS_CURVE_FILE]) {
      if (!existsSync(join(modelDir, file))) continue;
      copyFileSync(join(modelDir, file), join(tmp, file));
      report.files.push(file);
    }
    writeModelCard(tmp, exported, 'export', tokenizer.idToToken, basename(resolve(outDir)));
    report.files.push('README.md');
  });
  return report;
}
