// inbatch convert: a base model in another format -> an inbatch / Hugging Face folder
// (config.json, model.safetensors, vocab.txt, tokenizer.json) that every command reads.
import { existsSync } from 'node:fs';
import { Option } from '@commander-js/extra-typings';
import { isModelFolder } from '../model/config-file.js';
import { loadModel, loadPaddleModel, saveModel } from '../model/folder.js';
import { isPaddleFolder } from '../model/paddle-format.js';
import { checkReplaceable } from '../util/output-folder.js';
import type { Command } from './command.js';
import { intIn, oneOf, pathValue, poolingOption, UsageError } from './flags.js';
import { modelOverrides } from './model-flags.js';

export function addConvertCommand(program: Command): void {
  program.command('convert')
    .description('Convert a PaddleNLP folder (model_state.pdparams), a PyTorch pytorch_model.bin or a sharded safetensors folder into an inbatch model folder.')
    .argument('<dir>', 'the folder to convert')
    .addOption(new Option('--from <format>', 'paddle | hf (pytorch_model.bin, sharded or single safetensors); default: what the folder holds').argParser(oneOf('paddle', 'hf')))
    .addOption(new Option('--base <dir>', 'paddle: the pretrained folder a semantic-indexing checkpoint started from (its config.json / model_config.json and vocab.txt)').argParser(pathValue))
    .addOption(new Option('--output <dir>', 'the inbatch model folder to write').argParser(pathValue).makeOptionMandatory())
    .addOption(new Option('--output-emb-size <n>', 'add a projection of this size (0, the default for a pretrained base: none; a semantic-indexing checkpoint keeps its own)').argParser(intIn(0, 65536)))
    .addOption(poolingOption())
    .addOption(new Option('--max-seq-length <n>', 'tokens per text').argParser(intIn(2, 65536)))
    .addOption(new Option('--overwrite', 'replace --output even when it holds something other than an inbatch model').default(false))
    .action((dir, f) => {
      if (!existsSync(dir)) throw new UsageError(`${dir} does not exist`);
      const from = f.from ?? (isPaddleFolder(dir) ? 'paddle' : 'hf');
      checkReplaceable(f.output, { flag: '--output', what: 'model', isSameKind: isModelFolder, overwrite: f.overwrite, inputs: [dir] });
      const overrides = modelOverrides(f);
      const { model, report } = from === 'paddle' ? loadPaddleModel(dir, f.base ?? dir, overrides) : loadModel(dir, { output_emb_size: 0, ...overrides });
      saveModel(model, f.output);
      print(model.config, report.unused, f.output);
    });
}

function print(config: { model_type: string; hidden_size: number; num_hidden_layers: number; inbatch: { pooling: string; output_emb_size: number } }, unused: string[], out: string): void {
  console.error(`${config.model_type}, ${config.num_hidden_layers} layers x ${config.hidden_size}; pooling ${config.inbatch.pooling}, projection ${config.inbatch.output_emb_size || 'none'}`);
  if (unused.length) console.error(`not used: ${unused.join(', ')}`);
  console.log(out);
}
