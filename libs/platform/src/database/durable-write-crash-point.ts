import { readFileSync, rmSync, writeSync } from 'node:fs';
import type { DataSource } from 'typeorm';

/**
 * A fault-testing crash point: once armed, the process SIGKILLs itself the moment Postgres has
 * acknowledged a durable write (a COMMIT, or a write statement outside a transaction), before the
 * caller sees the answer. That is the instant where a non-atomic sequence of writes (e.g. "inbox
 * committed, outbox not yet written") loses work; random SIGKILLs almost never land there.
 *
 * Armed by creating the file named by FAULTS_CRASH_AFTER_WRITE_FILE (development and test only; the
 * config refuses it in production). The file may hold `N [text]`: crash after the (N+1)-th durable
 * write, counting only writes whose statement (for a COMMIT: any statement of the transaction)
 * contains `text`, case-insensitively — e.g. `0 inbox` aims at a command's outcome being recorded.
 * The file is removed before the kill, so the restarted process runs normally.
 */
export class DurableWriteCrashPoint {
  private armedSkip: number | undefined;
  private armedMatch = '';
  /** Clients inside a transaction → whether a statement of it matched the armed text. */
  private readonly inTransaction = new WeakMap<object, boolean>();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly file: string,
    private readonly kill: (what: string) => void = killNow,
    private readonly pollMs = 50,
  ) {}

  install(dataSource: DataSource): void {
    const pool = (dataSource.driver as unknown as { master?: PgPoolLike }).master;
    if (!pool) throw new Error('DurableWriteCrashPoint: the data source has no pg pool');
    pool.on('connect', (client) => this.instrument(client));
    for (const client of pool._clients ?? []) this.instrument(client);
    this.timer = setInterval(() => this.readArming(), this.pollMs);
    this.timer.unref();
    this.readArming();
  }

  /** True once the arming file has been read and the crash has not happened yet. */
  get armed(): boolean {
    return this.armedSkip !== undefined;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private readArming(): void {
    if (this.armedSkip !== undefined) return;
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch {
      return; // not armed
    }
    const [count = '0', ...match] = text.trim().split(/\s+/);
    const skip = Number.parseInt(count || '0', 10);
    this.armedMatch = match.join(' ').toLowerCase();
    this.armedSkip = Number.isFinite(skip) && skip > 0 ? skip : 0;
  }

  private instrument(client: PgClientLike): void {
    if ((client as { __crashPoint?: boolean }).__crashPoint) return;
    (client as { __crashPoint?: boolean }).__crashPoint = true;
    const original = client.query.bind(client);
    client.query = ((...args: unknown[]) => {
      const first = args[0] as string | { text?: unknown } | undefined;
      const text = typeof first === 'string' ? first : typeof first?.text === 'string' ? first.text : undefined;
      const durable = text === undefined ? undefined : this.classify(client, text);
      if (!durable) return original(...args);
      const last = args.length - 1;
      if (typeof args[last] === 'function') {
        const callback = args[last] as (error: unknown, result: unknown) => void;
        args[last] = (error: unknown, result: unknown) => {
          if (!error) this.acknowledged(durable);
          callback(error, result);
        };
        return original(...args);
      }
      const result = original(...args) as unknown;
      // Registered before the caller's own `then`, so the kill happens before the caller continues.
      if (result && typeof (result as PromiseLike<unknown>).then === 'function') {
        (result as Promise<unknown>).then(
          () => this.acknowledged(durable),
          () => undefined,
        );
      }
      return result;
    }) as PgClientLike['query'];
  }

  /** The statement's first keyword when its success makes something durable, else undefined. */
  private classify(client: object, text: string): string | undefined {
    const keyword = /^\s*([A-Za-z]+)(\s+[A-Za-z]+)?/.exec(text);
    const first = keyword?.[1]?.toUpperCase() ?? '';
    const second = keyword?.[2]?.trim().toUpperCase() ?? '';
    const matches = this.armedMatch === '' || text.toLowerCase().includes(this.armedMatch);
    if (first === 'BEGIN' || (first === 'START' && second === 'TRANSACTION')) {
      this.inTransaction.set(client, false);
      return undefined;
    }
    if (first === 'COMMIT' || first === 'END') {
      const matched = this.armedMatch === '' || this.inTransaction.get(client) === true;
      this.inTransaction.delete(client);
      return matched ? 'COMMIT' : undefined;
    }
    if (first === 'ROLLBACK' && second !== 'TO') {
      this.inTransaction.delete(client);
      return undefined;
    }
    if (this.inTransaction.has(client)) {
      if (matches) this.inTransaction.set(client, true);
      return undefined;
    }
    return matches && ['INSERT', 'UPDATE', 'DELETE', 'WITH', 'MERGE'].includes(first) ? first : undefined;
  }

  private acknowledged(what: string): void {
    if (this.armedSkip === undefined) return;
    if (this.armedSkip > 0) {
      this.armedSkip -= 1;
      return;
    }
    this.armedSkip = undefined;
    rmSync(this.file, { force: true });
    this.kill(what);
  }
}

function killNow(what: string): void {
  // Synchronous: the line must be in the log before the process is gone. No SQL, no values.
  writeSync(2, `\ncrash point: SIGKILL after a durable write (${what}) was acknowledged\n`);
  process.kill(process.pid, 'SIGKILL');
}

interface PgClientLike {
  query: (...args: unknown[]) => unknown;
}
interface PgPoolLike {
  on(event: 'connect', listener: (client: PgClientLike) => void): unknown;
  _clients?: PgClientLike[];
}
