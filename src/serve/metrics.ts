// Prometheus text exposition of request counts, latencies and embedding work.
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class Metrics {
  private readonly requests = new Map<string, number>();
  private readonly histograms = new Map<string, { buckets: number[]; sum: number; count: number }>();

  observe(route: string, status: number, seconds: number): void {
    const key = `route="${route}",status="${status}"`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
    const h = this.histograms.get(route) ?? { buckets: BUCKETS.map(() => 0), sum: 0, count: 0 };
    BUCKETS.forEach((b, i) => { if (seconds <= b) h.buckets[i]!++; });
    h.sum += seconds;
    h.count++;
    this.histograms.set(route, h);
  }

  render(gauges: Record<string, number>): string {
    const lines = ['# HELP inbatch_requests_total HTTP requests by route and status', '# TYPE inbatch_requests_total counter'];
    for (const [key, n] of this.requests) lines.push(`inbatch_requests_total{${key}} ${n}`);
    lines.push('# HELP inbatch_request_duration_seconds request latency', '# TYPE inbatch_request_duration_seconds histogram');
    for (const [route, h] of this.histograms) {
      BUCKETS.forEach((b, i) => lines.push(`inbatch_request_duration_seconds_bucket{route="${route}",le="${b}"} ${h.buckets[i]}`));
      lines.push(`inbatch_request_duration_seconds_bucket{route="${route}",le="+Inf"} ${h.count}`);
      lines.push(`inbatch_request_duration_seconds_sum{route="${route}"} ${h.sum}`);
      lines.push(`inbatch_request_duration_seconds_count{route="${route}"} ${h.count}`);
    }
    for (const [name, value] of Object.entries(gauges)) lines.push(`# TYPE ${name} gauge`, `${name} ${value}`);
    return lines.join('\n') + '\n';
  }
}
