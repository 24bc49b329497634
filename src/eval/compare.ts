// Side-by-side tables and a recall@k chart from MTEB-shaped result files
// (inbatch mteb) and PaddleNLP recall JSON (inbatch evaluate --json).
import { lineChartSvg } from './svg-chart.js';

export interface ModelScores {
  name: string;
  /** trec recall_at_k as a fraction, k -> value */
  recallAtK: Record<number, number>;
  /** PaddleNLP Recall@N in percent */
  paddle: Record<number, number>;
  ndcgAt10?: number;
}

export function scoresFromJson(json: Record<string, unknown>, file: string): ModelScores {
  const name = String(json.model_name ?? file);
  const recallAtK: Record<number, number> = {};
  const paddle: Record<number, number> = {};
  let ndcgAt10: number | undefined;
  const splits = Object.values(json).filter((v): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v));
  const readPaddle = (obj: Record<string, unknown>) => {
    for (const [k, v] of Object.entries(obj)) { const m = /^recall_at_(\d+)$/.exec(k); if (m && typeof v === 'number') paddle[Number(m[1])] = v; }
  };
  for (const split of splits) {
    for (const [k, v] of Object.entries(split)) {
      const m = /^recall_at_(\d+)$/.exec(k);
      if (m && typeof v === 'number') recallAtK[Number(m[1])] = v;
      if (k === 'ndcg_at_10' && typeof v === 'number') ndcgAt10 = v;
      if (k === 'paddle_recall' && typeof v === 'object' && v) readPaddle(v as Record<string, unknown>);
    }
  }
  if (typeof json.paddle_recall === 'object' && json.paddle_recall) readPaddle(json.paddle_recall as Record<string, unknown>);
  if (!Object.keys(recallAtK).length && !Object.keys(paddle).length) throw new Error(`${file}: no recall_at_k values (expected inbatch mteb or inbatch evaluate --json output)`);
  return { name, recallAtK, paddle, ndcgAt10 };
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
  if (models.some((m) => Object.keys(m.paddle).length)) {
    parts.push(table(['model', ...paddleKs.map((k) => `recall@${k}`)], models.map((m) => [
      m.name, ...paddleKs.map((k) => (m.paddle[k] === undefined ? '-' : m.paddle[k]!.toFixed(3))),
    ])));
  }
  return parts.join('\n\n');
}

/** Recall (%) against k on a log axis: trec recall_at_k where present, else PaddleNLP Recall@N. */
export function compareChart(models: ModelScores[]): string {
  return lineChartSvg(models.map((m) => {
    const source = Object.keys(m.recallAtK).length ? Object.entries(m.recallAtK).map(([k, v]) => [Number(k), v * 100] as [number, number]) : Object.entries(m.paddle).map(([k, v]) => [Number(k), v] as [number, number]);
    return { name: m.name, points: source.sort((a, b) => a[0] - b[0]) };
  }), { title: 'Recall@k', xLabel: 'k', yLabel: 'recall (%)', logX: true });
}
