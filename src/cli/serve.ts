import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadIndex } from '../index/load-index.js';
import { buildServer, DEFAULT_SERVER } from '../serve/server.js';
import type { Command } from './command.js';
import { inferenceFlags, loadEmbedder } from './embed.js';

export const serveCommand: Command = {
  name: 'serve',
  summary: 'HTTP service: POST /embed, /similarity, /search; GET /health, /metrics. SIGTERM finishes in-flight requests.',
  flags: {
    ...inferenceFlags,
    index: { type: 'string', help: 'index folder written by inbatch recall (recall_result_dir/index) for /search' },
    port: { type: 'int', default: 8080, help: 'port' },
    host: { type: 'string', default: '127.0.0.1', help: 'address to listen on' },
    'max-texts': { type: 'int', default: DEFAULT_SERVER.maxTexts, help: 'most texts in one request' },
    'body-limit': { type: 'int', default: DEFAULT_SERVER.bodyLimit, help: 'largest request body in bytes (413 above)' },
  },
  async run(f) {
    const embedder = await loadEmbedder(f);
    let index;
    if (f.index) {
      const dir = String(f.index);
      const textsPath = join(dir, 'texts.txt');
      if (!existsSync(textsPath)) throw new Error(`${dir}: no texts.txt (build the index with inbatch recall)`);
      index = { index: loadIndex(dir), texts: readFileSync(textsPath, 'utf8').split('\n') };
      if (index.index.dim !== embedder.dim) throw new Error(`${dir}: index dim ${index.index.dim} differs from the model's ${embedder.dim}`);
    }
    const app = buildServer({ embedder, index, maxTexts: Number(f['max-texts']), bodyLimit: Number(f['body-limit']), maxK: DEFAULT_SERVER.maxK, logger: false });
    const address = await app.listen({ port: Number(f.port), host: String(f.host) });
    console.error(`inbatch serve: listening on ${address}`);
    const stop = async (signal: string) => {
      console.error(`${signal}: finishing in-flight requests`);
      await app.close();
      await embedder.release();
      process.exit(0);
    };
    process.once('SIGTERM', () => void stop('SIGTERM'));
    process.once('SIGINT', () => void stop('SIGINT'));
  },
};
