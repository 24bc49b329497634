import { Embedder } from '../infer/embedder.js';
import type { Command } from './command.js';
import { UsageError, type FlagSpecs, type FlagValues } from './flags.js';

export const inferenceFlags: FlagSpecs = {
  model: { type: 'string', required: true, help: 'exported folder (inbatch export)' },
  precision: { type: 'string', default: 'fp32', help: 'fp32 | fp16' },
  provider: { type: 'string', default: 'cpu', help: 'cpu | cuda (needs onnxruntime-node\'s CUDA provider)' },
  threads: { type: 'int', help: 'onnxruntime intra-op threads' },
};

export function loadEmbedder(f: FlagValues): Promise<Embedder> {
  const precision = String(f.precision), provider = String(f.provider);
  if (precision !== 'fp32' && precision !== 'fp16') throw new UsageError(`--precision must be fp32 or fp16, got ${precision}`);
  if (provider !== 'cpu' && provider !== 'cuda') throw new UsageError(`--provider must be cpu or cuda, got ${provider}`);
  return Embedder.load(String(f.model), { precision, provider, threads: f.threads === undefined ? undefined : Number(f.threads) });
}

export const embedCommand: Command = {
  name: 'embed',
  summary: 'Embed texts with an exported model (onnxruntime); prints JSON [{text, embedding}].',
  usage: 'TEXT...',
  flags: inferenceFlags,
  async run(f, texts) {
    if (!texts.length) throw new UsageError('give one or more texts');
    const embedder = await loadEmbedder(f);
    const vectors = await embedder.embed(texts);
    console.log(JSON.stringify(texts.map((text, i) => ({ text, embedding: Array.from(vectors[i]!, (x) => Number(x.toFixed(6))) }))));
    await embedder.release();
  },
};

export const similarityCommand: Command = {
  name: 'similarity',
  summary: 'Cosine similarity of a query to each text with an exported model; prints JSON [{text, similarity}].',
  usage: '--query Q TEXT...',
  flags: { ...inferenceFlags, query: { type: 'string', required: true, help: 'the query text' } },
  async run(f, texts) {
    if (!texts.length) throw new UsageError('give one or more texts to compare with --query');
    const embedder = await loadEmbedder(f);
    console.log(JSON.stringify(await embedder.similarity(String(f.query), texts), null, 2));
    await embedder.release();
  },
};
