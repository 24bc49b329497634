// inbatch embed / similarity: an exported model on onnxruntime.
import { Option } from '@commander-js/extra-typings';
import { Embedder } from '../infer/embedder.js';
import type { Command } from './command.js';
import { onnxModelOption, precisionOption, providerOption, threadsOption } from './flags.js';

export interface InferenceFlags { model: string; precision: 'fp32' | 'fp16'; provider: 'cpu' | 'cuda'; threads?: number }

export function loadEmbedder(f: InferenceFlags): Promise<Embedder> {
  return Embedder.load(f.model, { precision: f.precision, provider: f.provider, threads: f.threads });
}

export function addEmbedCommand(program: Command): void {
  program.command('embed')
    .description('Embed texts with an exported model (onnxruntime); prints JSON [{text, embedding}].')
    .argument('<texts...>', 'texts to embed')
    .addOption(onnxModelOption()).addOption(precisionOption()).addOption(providerOption()).addOption(threadsOption())
    .action(async (texts, f) => {
      const embedder = await loadEmbedder(f);
      const vectors = await embedder.embed(texts);
      console.log(JSON.stringify(texts.map((text, i) => ({ text, embedding: Array.from(vectors[i]!, (x) => Number(x.toFixed(6))) }))));
      await embedder.release();
    });
}

export function addSimilarityCommand(program: Command): void {
  program.command('similarity')
    .description('Cosine similarity of a query to each text (in the order given) with an exported model; prints JSON [{text, similarity}].')
    .argument('<texts...>', 'texts to compare with --query')
    .addOption(new Option('--query <text>', 'the query text').makeOptionMandatory())
    .addOption(onnxModelOption()).addOption(precisionOption()).addOption(providerOption()).addOption(threadsOption())
    .action(async (texts, f) => {
      const embedder = await loadEmbedder(f);
      console.log(JSON.stringify(await embedder.similarity(f.query, texts), null, 2));
      await embedder.release();
    });
}
