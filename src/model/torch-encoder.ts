import type { TextEncoder } from '../embed/text-encoder.js';
import type { DualEncoder } from './dual-encoder.js';

/** The libtorch model as a TextEncoder (training-side embedding, no ONNX needed). */
export function torchEncoder(model: DualEncoder, batchSize = 128): TextEncoder {
  return { dim: model.embeddingSize, embed: (texts) => model.embed(texts, batchSize) };
}
