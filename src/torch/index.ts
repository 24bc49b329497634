export * from './ops.js';
export { Tensor, tidy, keep, type DType, type TensorData } from './tensor.js';
export { loadNative, libtorchAvailable, LibtorchMissingError } from './native.js';
export { ProcessGroup, distributedAvailable, dieWithParent, type ProcessGroupOptions } from './distributed.js';
