// One embedding worker of `inbatch index --workers N` (see embed-workers.ts): loads the model named
// in argv[2], then embeds each {job, texts} it is sent and answers {job, vectors}.
import { loadAnyEmbedder } from './model-flags.js';
import { concatRows, type WorkerModel } from './embed-workers.js';

const m = JSON.parse(process.argv[2]!) as WorkerModel;
process.on('disconnect', () => process.exit(0));
try {
  const { embedder, fingerprint } = await loadAnyEmbedder(m.model, m.flags);
  process.on('message', (msg: { job: number; texts: string[] }) => {
    void (async () => {
      try {
        const vectors = concatRows(await embedder.embed(msg.texts), embedder.dim);
        process.send!({ job: msg.job, vectors });
      } catch (e) {
        process.send!({ job: msg.job, error: (e as Error).message });
      }
    })();
  });
  process.send!({ ready: true, dim: embedder.dim, fingerprint });
} catch (e) {
  process.send!({ error: (e as Error).message });
  process.disconnect();
}
