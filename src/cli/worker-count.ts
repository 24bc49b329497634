// How many embedding processes `inbatch index` starts when --workers is not given:
//   N = min(cores, ⌊memory budget / one worker's memory⌋), 1 for a remote endpoint
// One process per core, each with one thread: on this 2-core machine two single-threaded workers embed
// faster than one process with two threads (bench/corpus, tiny and small models), and the parent then
// holds no model. Fewer where the free memory would not hold N copies of the model: a worker needs
// about three times its weight files (weights, session, activations) plus the runtime itself.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { availableParallelism, freemem } from 'node:os';
import { join } from 'node:path';
import { isEndpoint } from '../infer/endpoint.js';

const RUNTIME_BYTES = 400 * 2 ** 20;
const WEIGHT_FILE = /\.(safetensors|bin|onnx|onnx_data|pdparams|pt|pth)$/;

export function defaultWorkerCount(model: string, cores = availableParallelism(), free = freemem()): number {
  if (isEndpoint(model)) return 1;
  const perWorker = 3 * weightBytes(model) + RUNTIME_BYTES;
  const byMemory = Math.floor((0.5 * free) / perWorker);
  return Math.max(1, Math.min(cores, byMemory));
}

/** Bytes of the weight files in a model folder (and its onnx/ subfolder). */
function weightBytes(dir: string): number {
  let bytes = 0;
  for (const sub of [dir, join(dir, 'onnx')]) {
    if (!existsSync(sub) || !statSync(sub).isDirectory()) continue;
    for (const name of readdirSync(sub)) {
      if (WEIGHT_FILE.test(name)) bytes += statSync(join(sub, name)).size;
    }
  }
  return bytes;
}
