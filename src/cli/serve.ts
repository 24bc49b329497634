// inbatch serve: the HTTP service over an exported model (and optionally a corpus index).
import { basename, join, resolve } from 'node:path';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { Option } from '@commander-js/extra-typings';
import { CorpusIndex } from '../retrieval/corpus-index.js';
import { parseStoreUrl } from '../retrieval/pgvector-store.js';
import { exportedWeightsSha, indexModelMismatch } from '../model/fingerprint.js';
import { folderPromptTable } from '../infer/onnx-folder.js';
import { buildServer, DEFAULT_SERVER } from '../serve/server.js';
import type { Command } from './command.js';
import { loadEmbedder } from './embed.js';
import { chooseRetriever } from './fusion-choice.js';
import { DEFAULT_HYBRID } from '../retrieval/retriever.js';
import {
  bm25BOption, bm25K1Option, fusionDepthOption, calibrationPairsOption, calibrationQueriesOption, calibrationSeedOption, fusionMethodOption, hybridWeightsOption, intIn, onnxModelOption, oneOf, pathValue, precisionOption, providerOption, retrieverOption,
  rrfKOption, threadsOption, UsageError,
} from './flags.js';

export function addServeCommand(program: Command): void {
  program.command('serve')
    .description('HTTP service: POST /embed (inbatch and TEI bodies), /v1/embeddings (OpenAI), /similarity, /search (dense, bm25 or hybrid); GET /info, /health, /metrics. SIGTERM finishes in-flight requests.')
    .addOption(onnxModelOption()).addOption(precisionOption()).addOption(providerOption()).addOption(threadsOption())
    .addOption(new Option('--index <dir>', 'index folder written by inbatch recall (recall_result_dir/index) or inbatch index, for /search').argParser(pathValue))
    .addOption(new Option('--store <url>', 'or a pgvector table written by inbatch index --store (dense /search): postgres://user@host:port/db?table=NAME'))
    .addOption(retrieverOption()).addOption(rrfKOption()).addOption(hybridWeightsOption()).addOption(fusionMethodOption()).addOption(fusionDepthOption())
    .addOption(calibrationPairsOption()).addOption(calibrationQueriesOption()).addOption(calibrationSeedOption()).addOption(bm25K1Option()).addOption(bm25BOption())
    .addOption(new Option('--allow-index-mismatch', 'serve an --index that another model built, with a warning (its results are meaningless)').default(false))
    .addOption(new Option('--port <n>', 'port (0: any free port)').argParser(intIn(0, 65535)).default(8080))
    .addOption(new Option('--host <address>', 'address to listen on').default('127.0.0.1'))
    .addOption(new Option('--max-texts <n>', 'most texts in one request').argParser(intIn(1, 100000)).default(DEFAULT_SERVER.maxTexts))
    .addOption(new Option('--body-limit <bytes>', 'largest request body in bytes (413 above)').argParser(intIn(64, 1 << 30)).default(DEFAULT_SERVER.bodyLimit))
    .addOption(new Option('--request-timeout <ms>', 'longest time from a request\'s first byte to its last (slow bodies are cut off)').argParser(intIn(100, 3_600_000)).default(DEFAULT_SERVER.requestTimeoutMs))
    .addOption(new Option('--connection-timeout <ms>', 'idle connections are closed after this').argParser(intIn(100, 3_600_000)).default(DEFAULT_SERVER.connectionTimeoutMs))
    .addOption(new Option('--max-connections <n>', 'most open connections').argParser(intIn(1, 1_000_000)).default(DEFAULT_SERVER.maxConnections))
    .addOption(new Option('--api-key <key>', 'require "Authorization: Bearer <key>" on every route but /health and /metrics (or set INBATCH_API_KEY)').argParser(pathValue))
    .addOption(new Option('--max-concurrent-requests <n>', 'embedding requests served at once; more get 429 overloaded (0: no limit)').argParser(intIn(0, 1_000_000)).default(512))
    .addOption(new Option('--max-batch-tokens <n>', 'tokens per model call: what is queued is cut into calls within this budget, whatever the request sizes (0: no budget)').argParser(intIn(0, 100_000_000)).default(16384))
    .addOption(new Option('--allow-untrained-dimensions', 'serve dimensions the model was not trained for (train --matryoshka-dims); by default they are refused 400').default(false))
    .addOption(new Option('--cors-allow-origin <origin>', 'Access-Control-Allow-Origin for browser clients (e.g. * or https://app.example)'))
    .addOption(new Option('--model-name <name>', 'the model name /v1/embeddings and /info report (default: the model folder name)'))
    .addOption(new Option('--log-level <level>', 'request log level: fatal | error | warn | info | debug | trace | silent').argParser(oneOf('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent')))
    .action(async (f) => {
      const apiKey = f.apiKey ?? process.env.INBATCH_API_KEY;
      if (!apiKey && !['127.0.0.1', 'localhost', '::1'].includes(f.host)) console.error(`warning: listening on ${f.host} without authentication: anyone who can reach it can use it (give --api-key, or bind 127.0.0.1 behind a proxy that authenticates)`);
      const embedder = await loadEmbedder(f);
      if (f.index && f.store) throw new UsageError('give one of --index and --store');
      if (f.store && f.retriever !== 'dense') throw new UsageError(`--retriever ${f.retriever} needs BM25: an --index folder (a pgvector table serves dense /search)`);
      const index = f.index ? CorpusIndex.load(f.index) : f.store ? await CorpusIndex.openStore(f.store) : undefined;
      const where = f.index ?? (f.store ? parseStoreUrl(f.store).display : '');
      if (index && index.dim !== embedder.dim) throw new Error(`${where}: index dim ${index.dim} differs from the model's ${embedder.dim}`);
      const mismatch = index ? indexModelMismatch(where, index.embedder, f.model) : undefined;
      if (mismatch && !f.allowIndexMismatch) throw new Error(mismatch);
      if (mismatch) console.error(`warning: ${mismatch}`);
      if (!index && f.retriever !== 'dense') throw new UsageError(`--retriever ${f.retriever} needs --index`);
      // an index from an older inbatch has no BM25 part; its texts are enough to build one
      if (index && !f.store && (!index.lexical || index.lexical.params.k1 !== f.bm25K1 || index.lexical.params.b !== f.bm25B)) index.withLexical({ k1: f.bm25K1, b: f.bm25B });
      // how a hybrid request ranks: fitted (or reused from the index's fusion.json) once, at start
      const choice = index && !f.store ? await chooseRetriever({ ...f, retriever: 'hybrid' }, { corpus: index, embedder, indexDir: f.index, fingerprint: index.embedder, evaluated: [], modelDir: f.model })
        .catch((e: Error) => {
          // a corpus too small to calibrate on still serves: hybrid requests fall back to RRF 1,1, said here and in /info
          if (!/calibration/.test(e.message)) throw e;
          console.error(`warning: ${e.message}; hybrid requests are fused by RRF 1,1 until a fusion can be fitted`);
          return { kind: 'hybrid' as const, hybrid: { ...DEFAULT_HYBRID, depth: f.fusionDepth }, fit: undefined, warning: e.message };
        }) : undefined;
      const app = buildServer({ embedder, index, retriever: f.retriever, hybrid: choice?.hybrid, hybridRanksBy: choice?.kind, fusion: choice?.fit, apiKey, maxConcurrentRequests: f.maxConcurrentRequests, maxBatchTokens: f.maxBatchTokens,
        corsAllowOrigin: f.corsAllowOrigin, allowUntrainedDimensions: f.allowUntrainedDimensions, modelName: f.modelName ?? basename(resolve(f.model)),
        prompts: folderPromptTable(f.model), modelSha: exportedWeightsSha(f.model), modelCard: readModelCard(f.model), logLevel: f.logLevel, maxTexts: f.maxTexts, bodyLimit: f.bodyLimit, maxK: DEFAULT_SERVER.maxK, logger: false,
        requestTimeoutMs: f.requestTimeout, connectionTimeoutMs: f.connectionTimeout, maxConnections: f.maxConnections });
      const address = await app.listen({ port: f.port, host: f.host });
      console.error(`inbatch serve: listening on ${address}`);
      const stop = async (signal: string) => {
        console.error(`${signal}: finishing in-flight requests`);
        await app.close();
        await (index as Partial<{ close(): Promise<void> }> | undefined)?.close?.();
        await embedder.release();
        process.exit(0);
      };
      process.once('SIGTERM', () => void stop('SIGTERM'));
      process.once('SIGINT', () => void stop('SIGINT'));
    });
}

/** The served folder's README.md, when it has one of a sane size (GET /card). */
function readModelCard(dir: string): string | undefined {
  const path = join(dir, 'README.md');
  return existsSync(path) && statSync(path).size <= 1 << 20 ? readFileSync(path, 'utf8') : undefined;
}
