/** A one-line progress bar on stderr; silent when stderr is not a terminal (CI, pipes, tests). */
export class ProgressBar {
  private readonly enabled = Boolean(process.stderr.isTTY);
  private last = 0;

  constructor(private readonly label: string, private readonly total: number) {}

  update(done: number, extra = ''): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.last < 100 && done < this.total) return;
    this.last = now;
    const width = 30;
    const share = this.total > 0 ? Math.min(1, done / this.total) : 1;
    const filled = Math.round(share * width);
    const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
    process.stderr.write(`\r${this.label.padEnd(34)} ${bar} ${String(done).padStart(6)}/${this.total} ${extra}\x1b[K`);
  }

  done(): void {
    if (this.enabled) process.stderr.write('\n');
  }
}
