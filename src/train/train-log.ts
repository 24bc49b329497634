// train_log.jsonl: one JSON object per line (start, logged steps, evaluations, checkpoints, end),
// and the charts drawn from it: loss.svg and recall.svg.
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lineChartSvg } from '../eval/svg-chart.js';
import { writeFileAtomic } from '../util/atomic.js';

export const LOG_FILE = 'train_log.jsonl';

type LogRecord = Record<string, unknown>;

function parse(path: string): LogRecord[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8').split('\n').filter(Boolean).flatMap((line) => {
    try {
      return [JSON.parse(line) as LogRecord];
    } catch {
      return []; // a line cut by a kill mid-write
    }
  });
}

export class TrainLog {
  readonly path: string;

  /**
   * A fresh run starts an empty log. A resumed run keeps the records up to the step it resumes
   * from, so steps run after that checkpoint and before the interruption are not logged twice.
   */
  constructor(saveDir: string, resumedAtStep?: number) {
    this.path = join(saveDir, LOG_FILE);
    const kept = resumedAtStep === undefined ? [] : parse(this.path).filter((r) => typeof r.step !== 'number' || r.step <= resumedAtStep);
    writeFileAtomic(this.path, kept.map((r) => JSON.stringify(r) + '\n').join(''));
  }

  write(record: LogRecord): void {
    appendFileSync(this.path, JSON.stringify({ time: new Date().toISOString(), ...record }) + '\n');
  }

  records(): LogRecord[] {
    return parse(this.path);
  }
}

const scoreLabel = (key: string) => key.replace(/^success_at_(\d+)$/, 'Recall@$1');

/** Draws loss.svg, and recall.svg when evaluations were logged, from the JSONL log. */
export function writeTrainingCharts(saveDir: string): void {
  const records = parse(join(saveDir, LOG_FILE));
  const steps = records.filter((l) => typeof l.loss === 'number' && typeof l.step === 'number');
  writeFileAtomic(join(saveDir, 'loss.svg'), lineChartSvg([{ name: 'train loss', points: steps.map((l) => [l.step as number, l.loss as number]) }], {
    title: 'In-batch negatives loss', xLabel: 'step', yLabel: 'loss',
  }));
  const evals = records.filter((l) => l.event === 'eval' && typeof l.scores === 'object' && l.scores !== null);
  if (evals.length) {
    const keys = Object.keys(evals[0]!.scores as object);
    writeFileAtomic(join(saveDir, 'recall.svg'), lineChartSvg(keys.map((k) => ({
      name: scoreLabel(k), points: evals.map((e) => [e.step as number, (e.scores as Record<string, number>)[k]!]),
    })), { title: 'Dev recall during training (PaddleNLP Recall@N, % of queries)', xLabel: 'step', yLabel: 'percent' }));
  }
}
