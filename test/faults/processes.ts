// The sandbox and the three apps as child processes whose stdout/stderr go to log files (appended
// across restarts), so the leak scan can read every line any process ever wrote.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, rmSync, writeFileSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, waitFor } from '../support';

export class AppProcess {
  private child?: ChildProcess;
  private exitedPromise?: Promise<unknown>;
  private readonly log: WriteStream;
  /** Exits we did not cause (a crash): the suite reports them. */
  unexpectedExits = 0;
  starts = 0;
  private expectingExit = false;
  private closed = false;

  constructor(
    readonly app: string,
    readonly port: number,
    private readonly env: Record<string, string>,
    readonly logFile: string,
    private readonly readyPath = '/health/ready',
  ) {
    this.log = createWriteStream(logFile, { flags: 'a' });
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  alive(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  spawn(): void {
    this.expectingExit = false;
    this.starts += 1;
    this.log.write(`\n=== faults: start #${this.starts} of ${this.app} at ${new Date().toISOString()}\n`);
    const child = spawn(process.execPath, ['-r', '@swc-node/register', `apps/${this.app}/src/main.ts`], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...this.env } as NodeJS.ProcessEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.pipe(this.log, { end: false });
    child.stderr!.pipe(this.log, { end: false });
    this.exitedPromise = once(child, 'exit').then(([code, signal]) => {
      this.log.write(`\n=== faults: ${this.app} exited code=${code} signal=${signal}\n`);
      if (!this.expectingExit) {
        // A crash is a finding (counted, reported); start it again so the run still measures the rest.
        this.unexpectedExits += 1;
        setTimeout(() => {
          if (!this.closed && !this.alive()) this.spawn();
        }, 1000);
      }
    });
    this.child = child;
  }

  async ready(timeoutMs = 120_000): Promise<void> {
    await waitFor(
      async () => {
        if (!this.alive()) throw new Error(`${this.app} is not running (see ${this.logFile})`);
        const res = await fetch(`${this.baseUrl}${this.readyPath}`);
        return res.status === 200;
      },
      { timeoutMs, intervalMs: 500, description: `${this.app} ${this.readyPath}` },
    );
  }

  async start(timeoutMs?: number): Promise<void> {
    this.spawn();
    await this.ready(timeoutMs);
  }

  /** SIGKILL: no shutdown hook runs, like a node dying. */
  async kill(signal: NodeJS.Signals = 'SIGKILL', timeoutMs = 20_000): Promise<void> {
    if (!this.alive()) return;
    this.expectingExit = true;
    this.child!.kill(signal);
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), timeoutMs);
    await this.exitedPromise;
    clearTimeout(timer);
  }

  /**
   * Arms the app's crash point (FAULTS_CRASH_AFTER_WRITE_FILE = `file`): the app SIGKILLs itself right
   * after Postgres acknowledges its (skip+1)-th durable write from now (only writes containing `aim`, if
   * given). Resolves true once it is gone;
   * false when no such write came within `timeoutMs` (then it is SIGKILLed so the state stays known).
   */
  async crashAfterWrite(file: string, skip: number, aim?: string, timeoutMs = 30_000): Promise<boolean> {
    if (!this.alive()) return false;
    this.expectingExit = true;
    writeFileSync(file, aim ? `${skip} ${aim}` : String(skip));
    let timer: NodeJS.Timeout | undefined;
    const exited = await Promise.race([
      this.exitedPromise!.then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs))),
    ]);
    clearTimeout(timer);
    if (!exited) {
      rmSync(file, { force: true });
      await this.kill('SIGKILL');
    }
    return exited;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.kill('SIGTERM', 15_000).catch(() => undefined);
    await new Promise<void>((resolve) => this.log.end(resolve));
  }
}

export function logPath(dir: string, app: string): string {
  return path.join(dir, `${app}.log`);
}
