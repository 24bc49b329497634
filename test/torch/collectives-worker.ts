// One rank of collectives.test.ts: all-reduce, all-gather, broadcast and barrier on 127.0.0.1.
import * as T from '../../src/torch/index.js';

const rank = Number(process.env.RANK), world = Number(process.env.WORLD_SIZE);
const group = T.ProcessGroup.init({ masterAddr: '127.0.0.1', masterPort: Number(process.env.MASTER_PORT), rank, worldSize: world, timeoutMs: 30_000 });
const sum = T.fromData(Float32Array.from([rank + 1, 10 * (rank + 1)]), [2]);
group.allReduce_(sum);
const gathered = group.allGather(T.fromData(Float32Array.from([rank, rank, rank]), [1, 3]));
const fromRoot = T.fromData(Float32Array.from([rank === 0 ? 42 : -1]), [1]);
group.broadcast_(fromRoot, 0);
group.barrier();
console.log(JSON.stringify({ rank, sum: Array.from(T.toFloat32(sum)), gathered: Array.from(T.toFloat32(gathered)), shape: gathered.shape, root: T.item(fromRoot) }));
group.destroy();
