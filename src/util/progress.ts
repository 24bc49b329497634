// A progress line on stderr: done/total, rate, ETA and any extra fields.
// On a terminal it redraws in place; otherwise it prints at most every few seconds.

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  return h ? `${h}h${String(m).padStart(2, '0')}m` : m ? `${m}m${String(r).padStart(2, '0')}s` : `${r}s`;
}

export class Progress {
  private readonly start = Date.now();
  private lastPrint = 0;
  private readonly tty = process.stderr.isTTY === true;

  constructor(private readonly label: string, private total: number, private readonly unit = 'it', private readonly quiet = false) {}

  setTotal(total: number): void { this.total = total; }

  update(done: number, fields: Record<string, string | number> = {}, force = false): void {
    if (this.quiet) return;
    const now = Date.now();
    if (!force && now - this.lastPrint < (this.tty ? 200 : 5000)) return;
    this.lastPrint = now;
    const elapsed = (now - this.start) / 1000;
    const rate = done / Math.max(elapsed, 1e-9);
    const eta = this.total > done ? (this.total - done) / rate : 0;
    const pct = this.total ? ((100 * done) / this.total).toFixed(1) : '?';
    const width = 20;
    const filled = this.total ? Math.min(width, Math.round((width * done) / this.total)) : 0;
    const bar = '#'.repeat(filled) + '.'.repeat(width - filled);
    const extra = Object.entries(fields).map(([k, v]) => `${k} ${typeof v === 'number' ? v.toPrecision(4) : v}`).join(' ');
    const line = `${this.label} [${bar}] ${done}/${this.total} ${pct}% ${rate.toFixed(1)} ${this.unit}/s ETA ${formatDuration(eta)} ${extra}`;
    // on a terminal the line is redrawn in place: cut to its width, or it wraps into fragments
    const columns = process.stderr.columns ?? 80;
    process.stderr.write(this.tty ? `\r${line.length >= columns ? line.slice(0, columns - 1) : line}\x1b[K` : `${line}\n`);
  }

  done(done: number, fields: Record<string, string | number> = {}): void {
    this.update(done, fields, true);
    if (this.tty && !this.quiet) process.stderr.write('\n');
  }
}
