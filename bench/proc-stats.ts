import { readFileSync } from 'node:fs';

/** One sample of a process: resident memory and CPU time so far (from /proc, like pidusage). */
export interface ProcSample {
  t: number;
  rssMb: number;
  cpuSeconds: number;
}

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

export function readProc(pid: number): ProcSample | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which may contain spaces, start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return { t: Date.now(), rssMb: rssKb / 1024, cpuSeconds: (utime + stime) / TICKS_PER_SECOND };
  } catch {
    return undefined; // process gone
  }
}

export interface ProcessUsage {
  name: string;
  pid: number;
  rssStartMb: number;
  rssEndMb: number;
  rssMaxMb: number;
  /** Mean CPU share over the window, 1.0 = one full core. */
  cpuCores: number;
  samples: number;
}

/** Samples named processes every `intervalMs` until `stop()`. */
export class ProcSampler {
  private readonly samples = new Map<string, { pid: number; list: ProcSample[] }>();
  private timer?: NodeJS.Timeout;

  constructor(private readonly intervalMs = 500) {}

  watch(name: string, pid: number | undefined): void {
    if (pid) this.samples.set(name, { pid, list: [] });
  }

  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
  }

  private sample(): void {
    for (const entry of this.samples.values()) {
      const s = readProc(entry.pid);
      if (s) entry.list.push(s);
    }
  }

  /** Stops sampling and summarises each process over the sampled window. */
  stop(): ProcessUsage[] {
    if (this.timer) clearInterval(this.timer);
    this.sample();
    const usage: ProcessUsage[] = [];
    for (const [name, { pid, list }] of this.samples) {
      if (list.length === 0) continue;
      const first = list[0]!;
      const last = list[list.length - 1]!;
      const seconds = (last.t - first.t) / 1000;
      usage.push({
        name,
        pid,
        rssStartMb: round(first.rssMb),
        rssEndMb: round(last.rssMb),
        rssMaxMb: round(Math.max(...list.map((s) => s.rssMb))),
        cpuCores: seconds > 0 ? round((last.cpuSeconds - first.cpuSeconds) / seconds) : 0,
        samples: list.length,
      });
    }
    return usage;
  }

  /** RSS series of one process (for the soak report). */
  series(name: string): ProcSample[] {
    return this.samples.get(name)?.list ?? [];
  }
}

export function round(n: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
