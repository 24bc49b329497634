// inbatch embed / similarity: an exported model on onnxruntime.
import { createReadStream } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { Option } from '@commander-js/extra-typings';
import { corpusText } from '../data/corpus-file.js';
import { Embedder } from '../infer/embedder.js';
import type { Command } from './command.js';
import { checkDimension, truncateVector } from '../vectors/dimensions.js';
import { allowUntrainedDimensionsOption, dimensionsOption, intIn, onnxModelOption, pathOrStdin, precisionOption, providerOption, threadsOption, UsageError } from './flags.js';

export interface InferenceFlags { model: string; precision: 'fp32' | 'fp16' | 'q8'; provider: 'cpu' | 'cuda'; threads?: number }

export function loadEmbedder(f: InferenceFlags): Promise<Embedder> {
  return Embedder.load(f.model, { precision: f.precision, provider: f.provider, threads: f.threads });
}

export function addEmbedCommand(program: Command): void {
  program.command('embed')
    .description('Embed texts with an exported model (onnxruntime). Texts as arguments print one JSON array [{text, embedding}]; texts from --input FILE or stdin (one per line) stream as JSON Lines.')
    .argument('[texts...]', 'texts to embed (or use --input, or pipe them in)')
    .addOption(new Option('--input <file>', 'one text per line; - for stdin').argParser(pathOrStdin))
    .addOption(new Option('--batch-size <n>', 'lines embedded at a time from --input/stdin').argParser(intIn(1, 65536)).default(256))
    .addOption(onnxModelOption()).addOption(precisionOption()).addOption(providerOption()).addOption(threadsOption())
    .addOption(dimensionsOption()).addOption(allowUntrainedDimensionsOption())
    .action(async (texts, f) => {
      const fromStream = f.input !== undefined || (!texts.length && !process.stdin.isTTY);
      if (!texts.length && !fromStream) throw new UsageError('give texts as arguments, --input FILE, or pipe them in');
      if (texts.length && f.input !== undefined) throw new UsageError('give texts as arguments or --input, not both');
      const embedder = await loadEmbedder(f);
      const dims = f.dimensions ?? embedder.dim;
      if (f.dimensions !== undefined) checkDimension(f.dimensions, embedder.config.inbatch.matryoshka, embedder.dim, f.allowUntrainedDimensions);
      const row = (text: string, v: Float32Array) => JSON.stringify({ text, embedding: Array.from(truncateVector(v, dims), (x) => Number(x.toFixed(6))) });
      try {
        if (!fromStream) {
          const vectors = await embedder.embed(texts);
          console.log(`[${texts.map((t, i) => row(t, vectors[i]!)).join(',')}]`);
          return;
        }
        // streamed in batches: a file of millions of lines never sits in memory
        const input = !f.input || f.input === '-' ? process.stdin : createReadStream(f.input);
        let batch: string[] = [];
        const flush = async () => {
          if (!batch.length) return;
          const vectors = await embedder.embed(batch);
          const out = batch.map((t, i) => row(t, vectors[i]!)).join('\n') + '\n';
          if (!process.stdout.write(out)) await once(process.stdout, 'drain');
          batch = [];
        };
        for await (const line of createInterface({ input, crlfDelay: Infinity })) {
          const text = corpusText(line);
          if (!text) continue;
          batch.push(text);
          if (batch.length >= f.batchSize) await flush();
        }
        await flush();
      } finally {
        await embedder.release();
      }
    });
}

export function addSimilarityCommand(program: Command): void {
  program.command('similarity')
    .description('Cosine similarity of a query to each text with an exported model; prints JSON [{text, similarity}] in the order given, or best first with --sort.')
    .argument('<texts...>', 'texts to compare with --query')
    .addOption(new Option('--query <text>', 'the query text').makeOptionMandatory())
    .addOption(new Option('--sort', 'best first (default: the order given)').default(false))
    .addOption(onnxModelOption()).addOption(precisionOption()).addOption(providerOption()).addOption(threadsOption())
    .action(async (texts, f) => {
      const embedder = await loadEmbedder(f);
      const results = await embedder.similarity(f.query, texts);
      if (f.sort) results.sort((a, b) => b.similarity - a.similarity);
      console.log(JSON.stringify(results, null, 2));
      await embedder.release();
    });
}
