export { readSafetensors, writeSafetensors, type NamedArray } from './safetensors.js';
export { readWeightFiles, readShardedSafetensors, weightFileOf } from './weight-files.js';
export { readTorchCheckpoint } from './torch-checkpoint.js';
export { readPaddleCheckpoint } from './paddle-checkpoint.js';
export { unpickle, PickleError, PyTuple, PyGlobal, type GlobalBuilders, type UnpickleOptions } from './pickle.js';
