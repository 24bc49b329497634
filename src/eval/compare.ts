// Side-by-side tables and a recall@k chart from MTEB-shaped result files (inbatch mteb)
// and PaddleNLP hit-rate JSON (inbatch evaluate --json). Units are never mixed: trec
// recall_at_k is a fraction of relevant documents, success_at_N a percentage of queries;
// each is read only from where it is written, and the chart draws one kind per model.
import { DEFAULT_BOOTSTRAP, pairedBootstrap, type BootstrapOptions, type PairedDifference } from './bootstrap.js';
import type { PerQueryScores } from './per-query.js';
import { lineChartSvg } from './svg-chart.js';

export interface ModelScores {
  name: string;
  /** trec recall_at_k as a fraction (0..1), k -> value */
  recallAtK: Record<number, number>;
  /** PaddleNLP Recall@N (success@N) in percent */
  successPct: Record<number, number>;
  ndcgAt10?: number;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads success@N percentages from {"success_at_N": v} or, in files written before the rename, {"recall_at_N": v}. */
function readSuccess(obj: Record<string, unknown>, into: Record<number, number>, file: string): void {
  for (const [k, v] of Object.entries(obj)) {
    const m = /^(?:success|recall)_at_(\d+)$/.exec(k);
    if (!m || typeof v !== 'number') continue;
    if (v < 0 || v > 100) throw new Error(`${file}: ${k} = ${v} is not a percentage`);
    into[Number(m[1])] = v;
  }
}

/**
 * Reads inbatch mteb output in both shapes -- mteb's current TaskResult ({task_name, scores: {split:
 * [{ndcg_at_10, ...}]}}, whose model name is the results/<model>/<revision>/ folder, with its
 * .inbatch.json sidecar passed as `sidecar`) and the older flat one -- and evaluate --json files.
 */
export function scoresFromJson(json: Record<string, unknown>, file: string, sidecar?: Record<string, unknown>): ModelScores {
  if (isObject(json.scores) && typeof json.task_name === 'string') {
    const flat: Record<string, unknown> = { model_name: sidecar?.model_name ?? modelFromResultsPath(file) };
    for (const [split, subsets] of Object.entries(json.scores)) if (Array.isArray(subsets) && isObject(subsets[0])) flat[split] = subsets[0];
    if (sidecar && isObject(sidecar.paddle_recall_pct)) flat.paddle_recall_pct = sidecar.paddle_recall_pct;
    json = flat;
  }
  const name = String(json.model_name ?? file);
  const recallAtK: Record<number, number> = {};
  const successPct: Record<number, number> = {};
  let ndcgAt10: number | undefined;
  for (const key of ['paddle_recall_pct', 'paddle_recall']) if (isObject(json[key])) readSuccess(json[key] as Record<string, unknown>, successPct, file);
  // an MTEB split is an object holding trec metrics (ndcg_at_k); the PaddleNLP objects are not splits
  const splits = Object.entries(json).filter(([k, v]) => isObject(v) && !k.startsWith('paddle_recall') && 'ndcg_at_10' in v).map(([, v]) => v as Record<string, unknown>);
  for (const split of splits) {
    for (const [k, v] of Object.entries(split)) {
      const m = /^recall_at_(\d+)$/.exec(k);
      if (m && typeof v === 'number') {
        if (v < 0 || v > 1) throw new Error(`${file}: trec ${k} = ${v} is not a fraction in [0, 1]`);
        recallAtK[Number(m[1])] = v;
      }
      if (k === 'ndcg_at_10' && typeof v === 'number') ndcgAt10 = v;
      if (k.startsWith('paddle_recall') && isObject(v)) readSuccess(v, successPct, file);
    }
  }
  if (!Object.keys(recallAtK).length && !Object.keys(successPct).length) {
    throw new Error(`${file}: no recall_at_k or success_at_N values (expected inbatch mteb or inbatch evaluate --json output)`);
  }
  return { name, recallAtK, successPct, ndcgAt10 };
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

export function compareTables(models: ModelScores[]): string {
  const parts: string[] = [];
  const trecKs = [1, 10, 100, 1000];
  if (models.some((m) => Object.keys(m.recallAtK).length)) {
    parts.push(table(['model', 'ndcg@10', ...trecKs.map((k) => `Recall@${k}`)], models.map((m) => [
      m.name, m.ndcgAt10 === undefined ? '-' : m.ndcgAt10.toFixed(4), ...trecKs.map((k) => (m.recallAtK[k] === undefined ? '-' : m.recallAtK[k]!.toFixed(4))),
    ])));
  }
  const paddleKs = [1, 5, 10, 20, 50];
  if (models.some((m) => Object.keys(m.successPct).length)) {
    parts.push(table(['model (PaddleNLP, % of queries)', ...paddleKs.map((k) => `recall@${k}`)], models.map((m) => [
      m.name, ...paddleKs.map((k) => (m.successPct[k] === undefined ? '-' : m.successPct[k]!.toFixed(3))),
    ])));
  }
  return parts.join('\n\n');
}

/**
 * Percent against k on a log axis. When every model has trec recall the chart shows it (x100);
 * otherwise every model is drawn with its PaddleNLP success@N, so all lines share one unit.
 */
export function compareChart(models: ModelScores[]): string {
  const allTrec = models.every((m) => Object.keys(m.recallAtK).length);
  if (!allTrec && !models.every((m) => Object.keys(m.successPct).length)) {
    throw new Error('cannot chart these files together: some have only trec recall, others only PaddleNLP success@N');
  }
  return lineChartSvg(models.map((m) => {
    const points = allTrec
      ? Object.entries(m.recallAtK).map(([k, v]) => [Number(k), v * 100] as [number, number])
      : Object.entries(m.successPct).map(([k, v]) => [Number(k), v] as [number, number]);
    return { name: m.name, points: points.sort((a, b) => a[0] - b[0]) };
  }), { title: allTrec ? 'trec Recall@k (% of relevant documents)' : 'PaddleNLP Recall@N (% of queries with a hit)', xLabel: 'k', yLabel: 'percent', logX: true });
}

/** results/<model>/<revision>/<task>.json -> the model name ("__" back to "/"). */
function modelFromResultsPath(file: string): string {
  const parts = file.split(/[\\/]/);
  return parts.length >= 3 ? parts[parts.length - 3]!.replace(/__/g, '/') : file;
}

export interface MetricComparison extends PairedDifference {
  metric: string;
  a: number;
  b: number;
}

/** The metrics both per-query files hold, each as B - A with its paired-bootstrap interval, over the same queries. */
export function compareWithConfidence(a: PerQueryScores, b: PerQueryScores, o: BootstrapOptions = DEFAULT_BOOTSTRAP): MetricComparison[] {
  const at = new Map(b.queries.map((q, i) => [q, i]));
  const missing = a.queries.filter((q) => !at.has(q));
  if (missing.length || a.queries.length !== b.queries.length) {
    throw new Error(`${a.name} and ${b.name} were scored on other queries (${a.queries.length} and ${b.queries.length}; e.g. ${missing[0] ?? b.queries.find((q) => !a.queries.includes(q))} is in one only): a paired comparison needs the same ones`);
  }
  const order = a.queries.map((q) => at.get(q)!);
  const mean = (v: ArrayLike<number>) => Array.from(v).reduce((s, x) => s + x, 0) / v.length;
  return Object.keys(a.scores).filter((m) => m in b.scores).map((metric) => {
    const va = a.scores[metric]!, vb = order.map((i) => b.scores[metric]![i]!);
    return { metric, a: mean(va), b: mean(vb), ...pairedBootstrap(va, vb, o) };
  });
}

export function formatConfidenceTable(a: PerQueryScores, b: PerQueryScores, rows: MetricComparison[], o: BootstrapOptions = DEFAULT_BOOTSTRAP): string {
  const pct = Math.round(o.confidence * 100);
  const fmt = (v: number) => (Math.abs(v) >= 1.5 ? v.toFixed(3) : v.toFixed(4));
  const body = rows.map((r) => [r.metric, fmt(r.a), fmt(r.b), (r.difference >= 0 ? '+' : '') + fmt(r.difference), `[${fmt(r.low)}, ${fmt(r.high)}]`, r.significant ? 'yes' : 'no (interval includes 0)']);
  return `A = ${a.name}, B = ${b.name}; ${a.queries.length} queries, paired bootstrap, ${o.resamples} resamples, seed ${o.seed}\n`
    + table(['metric', 'A', 'B', 'B - A', `${pct}% CI`, 'significant'], body);
}
