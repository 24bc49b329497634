// Device check for the NCCL path: collectives on CUDA tensors through ProcessGroupNCCL (world 1:
// one GPU here, and NCCL refuses two ranks on one GPU), then training steps on CUDA with that group.
import * as T from '../../dist/src/torch/index.js';
import { ProcessGroup, distributedAvailable } from '../../dist/src/torch/distributed.js';
const log = (...a) => console.log('[check]', ...a);
T.loadNative();
log('cuda', T.cudaIsAvailable(), 'distributed', distributedAvailable());
T.setDefaultDevice('cuda');
const g = ProcessGroup.init({ masterAddr: '127.0.0.1', masterPort: 29511, rank: 0, worldSize: 1, timeoutMs: 60000, backend: 'nccl', device: 'cuda' });
const x = T.fromData(Float32Array.from([1, 2, 3]), [3]);
g.allReduce_(x);
log('allreduce', Array.from(T.toFloat32(x)));
const gathered = g.allGather(T.fromData(Float32Array.from([4, 5]), [1, 2]));
log('allgather', gathered.shape, Array.from(T.toFloat32(gathered)));
g.broadcast_(x, 0);
g.barrier();
log('barrier ok, backend', g.backend);
g.destroy();
log('gloo with CUDA tensors refused or works:');
try {
  const gg = ProcessGroup.init({ masterAddr: '127.0.0.1', masterPort: 29512, rank: 0, worldSize: 1, timeoutMs: 60000, backend: 'gloo', device: 'cpu' });
  const c = T.fromData(Float32Array.from([1, 2]), [2], 'cpu'); gg.allReduce_(c); log('gloo cpu allreduce', Array.from(T.toFloat32(c))); gg.destroy();
} catch (e) { log('gloo', e.message); }
