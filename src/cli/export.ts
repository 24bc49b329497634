// inbatch export: ONNX fp32 (and fp16) in the transformers.js folder layout.
import { Option } from '@commander-js/extra-typings';
import { exportModel, isExportFolder } from '../export/export-model.js';
import { checkReplaceable } from '../util/output-folder.js';
import type { Command } from './command.js';
import { allowUntrainedDimensionsOption, dimensionsOption, intIn, pathValue } from './flags.js';

export function addExportCommand(program: Command): void {
  program.command('export')
    .description('Export a model folder to ONNX (fp32, and fp16 with float32 inputs/outputs) in the transformers.js layout.')
    .addOption(new Option('--model <dir>', 'model folder').argParser(pathValue).makeOptionMandatory())
    .addOption(new Option('--output <dir>', 'output folder (config.json, tokenizer.json, onnx/model.onnx, onnx/model_fp16.onnx)').argParser(pathValue).makeOptionMandatory())
    .addOption(new Option('--fp16', 'also write onnx/model_fp16.onnx').default(false))
    .addOption(new Option('--quantize', 'also write onnx/model_quantized.onnx: dynamic int8 (transformers.js dtype "q8", --precision q8)').default(false))
    .addOption(dimensionsOption()).addOption(allowUntrainedDimensionsOption())
    .addOption(new Option('--opset <n>', 'ONNX opset (17 or later: LayerNormalization)').argParser(intIn(17, 23)).default(17))
    .addOption(new Option('--overwrite', 'replace --output even when it holds something other than an inbatch export').default(false))
    .action((f) => {
      checkReplaceable(f.output, { flag: '--output', what: 'ONNX export', isSameKind: isExportFolder, overwrite: f.overwrite, inputs: [f.model] });
      const report = exportModel(f.model, f.output, { fp16: f.fp16, opset: f.opset, quantize: f.quantize, dimensions: f.dimensions, allowUntrainedDimensions: f.allowUntrainedDimensions });
      for (const file of report.files) console.log(`${f.output}/${file}${report.bytes[file] ? ` (${(report.bytes[file]! / 1e6).toFixed(1)} MB)` : ''}`);
    });
}
