// The service's Prometheus metrics through prom-client, one registry per server: request counts and
// latencies by route and status, in-flight requests, model calls (their batch sizes, and the texts
// queued behind each), texts embedded, and prom-client's process and event-loop defaults. Every
// family has HELP and TYPE, and only counters end in _total (promtool check metrics passes).
import type * as PromClient from 'prom-client';
import { lazyModule } from '../util/lazy-module.js';

const promClient = lazyModule<typeof PromClient>('prom-client');

export class Metrics {
  readonly registry: PromClient.Registry;
  private readonly requests: PromClient.Counter<'route' | 'status'>;
  private readonly latency: PromClient.Histogram<'route'>;
  private readonly batchSize: PromClient.Histogram;
  private readonly queueDepth: PromClient.Histogram;
  private readonly texts: PromClient.Counter;
  private readonly batches: PromClient.Counter;

  constructor(inFlight: () => number) {
    const prom = promClient();
    this.registry = new prom.Registry();
    const registers = [this.registry];
    prom.collectDefaultMetrics({ register: this.registry });
    // prom-client names three gauges *_total, which promtool rejects ("non-counter metrics should not have _total")
    for (const name of ['nodejs_active_resources_total', 'nodejs_active_handles_total', 'nodejs_active_requests_total']) this.registry.removeSingleMetric(name);
    this.requests = new prom.Counter({ name: 'inbatch_requests_total', help: 'HTTP requests by route and status', labelNames: ['route', 'status'], registers });
    this.latency = new prom.Histogram({
      name: 'inbatch_request_duration_seconds', help: 'HTTP request latency by route', labelNames: ['route'], registers,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    });
    this.batchSize = new prom.Histogram({ name: 'inbatch_batch_size', help: 'texts per model call (micro-batches of concurrent requests)', registers, buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256] });
    this.queueDepth = new prom.Histogram({ name: 'inbatch_queue_depth', help: 'texts waiting behind a model call as it starts', registers, buckets: [0, 1, 4, 16, 64, 256, 1024, 4096] });
    this.texts = new prom.Counter({ name: 'inbatch_texts_embedded_total', help: 'texts embedded', registers });
    this.batches = new prom.Counter({ name: 'inbatch_embed_batches_total', help: 'model calls', registers });
    new prom.Gauge({ name: 'inbatch_requests_in_flight', help: 'HTTP requests being served (this scrape not counted)', registers, collect() { this.set(inFlight()); } });
  }

  observe(route: string, status: number, seconds: number): void {
    this.requests.inc({ route, status: String(status) });
    this.latency.observe({ route }, seconds);
  }

  observeBatch(texts: number, waiting: number): void {
    this.batchSize.observe(texts);
    this.queueDepth.observe(waiting);
    this.batches.inc();
    this.texts.inc(texts);
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
