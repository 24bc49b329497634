import { exportModel } from '../export/export-model.js';
import type { Command } from './command.js';

export const exportCommand: Command = {
  name: 'export',
  summary: 'Export a model folder to ONNX (fp32, and fp16 with float32 inputs/outputs) in the transformers.js layout.',
  flags: {
    model: { type: 'string', required: true, help: 'model folder' },
    output: { type: 'string', required: true, help: 'output folder (config.json, tokenizer.json, onnx/model.onnx, onnx/model_fp16.onnx)' },
    fp16: { type: 'boolean', default: false, help: 'also write onnx/model_fp16.onnx' },
    opset: { type: 'int', default: 17, help: 'ONNX opset (17 or later: LayerNormalization)' },
  },
  run(f) {
    const report = exportModel(String(f.model), String(f.output), { fp16: Boolean(f.fp16), opset: Number(f.opset) });
    for (const file of report.files) console.log(`${f.output}/${file}${report.bytes[file] ? ` (${(report.bytes[file]! / 1e6).toFixed(1)} MB)` : ''}`);
  },
};
