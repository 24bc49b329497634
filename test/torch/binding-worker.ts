// Runs in a worker thread for binding.test.ts: tensors made and read inside the worker.
import { parentPort } from 'node:worker_threads';
import * as T from '../../src/torch/index.js';

const sum = T.tidy(() => T.toFloat32(T.add(T.fromData(Float32Array.from([1, 2, 3]), [3]), T.fromData(Float32Array.from([4, 5, 6]), [3]))));
parentPort!.postMessage(Array.from(sum));
