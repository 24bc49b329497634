// GET /info (TEI's model description, its required fields included), /health (liveness, and what is loaded), /metrics (Prometheus).
import { trainedDimensions } from '../../vectors/dimensions.js';
import type { ServeContext, ServerApp } from '../context.js';

const INBATCH_VERSION = '0.1.0';
const DTYPES = { fp32: 'float32', fp16: 'float16', q8: 'int8' } as const;

export function infoRoutes(app: ServerApp, ctx: ServeContext): void {
  const { embedder, options: o } = ctx;
  app.get('/info', async () => ({
    model_id: ctx.modelName, model_sha: o.modelSha ?? null, model_dtype: DTYPES[embedder.options.precision],
    model_type: { embedding: { pooling: embedder.config.inbatch.pooling } }, dimension: embedder.dim,
    dimensions: trainedDimensions(embedder.config.inbatch.matryoshka, embedder.dim).map((d) => ({ dimension: d, recall_at_10: embedder.config.inbatch.matryoshka?.recall_at_10?.[String(d)] ?? null })),
    allow_untrained_dimensions: o.allowUntrainedDimensions ?? false,
    max_concurrent_requests: o.maxConcurrentRequests ?? 0, max_input_length: ctx.maxLen, max_batch_tokens: ctx.maxBatchTokens, max_batch_requests: null, max_client_batch_size: o.maxTexts,
    // a text longer than max_input_length is cut unless the request says truncate: false; tokenising runs on the one event loop
    auto_truncate: true, tokenization_workers: 1, served_model_name: ctx.modelName, prompts: Object.keys(o.prompts ?? {}),
    version: INBATCH_VERSION, sha: null, docker_label: null,
    ...(o.index ? { index: { kind: o.index.index.kind, size: o.index.size, recall_contract: o.index.manifest?.contract ?? null, memory_bytes_per_text: o.index.manifest?.memory_bytes_per_text ?? null } } : {}),
    ...(o.index ? { hybrid: { ranks_by: o.hybridRanksBy ?? 'hybrid', fusion: o.hybrid ?? null, calibration: o.fusion ? { reason: o.fusion.reason, ...o.fusion.calibration } : null } } : {}),
  }));
  app.get('/health', async () => ({
    status: 'ok', dim: embedder.dim, precision: embedder.options.precision,
    index: o.index ? { kind: o.index.index.kind, size: o.index.size, bm25: Boolean(o.index.lexical), retriever: o.retriever ?? 'dense' } : null,
  }));
  app.get('/metrics', async (_req, reply) => {
    void reply.type(ctx.metrics.contentType);
    return ctx.metrics.render();
  });
}
