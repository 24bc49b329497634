// One rank of collectives.test.ts: all-reduce, all-gather, broadcast and barrier on 127.0.0.1.
import * as T from '../../src/torch/index.js';
import type { AdamW } from '../../src/train/adamw.js';
import { allReduceGradients } from '../../src/train/gather.js';

const rank = Number(process.env.RANK), world = Number(process.env.WORLD_SIZE);
const group = T.ProcessGroup.init({ masterAddr: '127.0.0.1', masterPort: Number(process.env.MASTER_PORT), rank, worldSize: world, timeoutMs: 30_000 });
const sum = T.fromData(Float32Array.from([rank + 1, 10 * (rank + 1)]), [2]);
group.allReduce_(sum);
const gathered = group.allGather(T.fromData(Float32Array.from([rank, rank, rank]), [1, 3]));
const fromRoot = T.fromData(Float32Array.from([rank === 0 ? 42 : -1]), [1]);
group.broadcast_(fromRoot, 0);
group.barrier();
// gradients: a token table whose rows each rank used differently (rank 0 rows 1, 3, 3; rank 1 rows 3, 6),
// all-reduced over the used rows only, and a dense parameter
const table = T.setRequiresGrad(T.zeros([8, 3])), dense = T.setRequiresGrad(T.zeros([2]));
const ids = T.fromData(BigInt64Array.from(rank === 0 ? [1n, 3n, 3n] : [3n, 6n]), [rank === 0 ? 3 : 2]);
T.backward(T.mul(T.add(T.sum(T.embedding(table, ids)), T.sum(dense)), rank + 1));
allReduceGradients(group, { params: [['embeddings.word_embeddings.weight', table], ['encoder.x', dense]] } as unknown as AdamW);
console.log(JSON.stringify({ rank, sum: Array.from(T.toFloat32(sum)), gathered: Array.from(T.toFloat32(gathered)), shape: gathered.shape, root: T.item(fromRoot),
  tableGrad: Array.from(T.toFloat32(T.grad(table)!)), denseGrad: Array.from(T.toFloat32(T.grad(dense)!)) }));
group.destroy();
