// The library's front door: everything the CLI does. Importing it loads no native code and
// no heavy dependency (libtorch, onnxruntime, hnswlib, protobufjs, fastify are loaded on first
// use); each room is also its own entry: inbatch/train, inbatch/infer, inbatch/serve, ...
export * from './text/index.js';
export * from './data/index.js';
export * from './weights/index.js';
export * from './model/index.js';
export * from './train/index.js';
export * from './eval/index.js';
export * from './vectors/index.js';
export * from './retrieval/index.js';
export * from './lexical/index.js';
export * from './export/index.js';
export * from './infer/index.js';
export * from './serve/index.js';
export { setDefaultDevice, cudaIsAvailable } from './torch/ops.js';
export { libtorchAvailable, LibtorchMissingError } from './torch/native.js';
export { UsageError } from './util/errors.js';
