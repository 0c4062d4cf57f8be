import type { DataSource } from 'typeorm';
import { errorFields } from './errors';
import type { MessagingLogger } from './outbox';

/** Rows deleted per statement by a prune (one short transaction each). */
export const PRUNE_BATCH = 1_000;
export const DEFAULT_PRUNE_INTERVAL_MS = 10 * 60_000;

export interface RetentionPrunerOptions {
  dataSource: DataSource;
  /** Schema-qualified, quoted table name, e.g. `"card"."messaging_inbox"`. */
  table: string;
  /** The columns naming one row (its primary key), e.g. `id` or `command_id, payload_hash`. */
  key: string;
  /**
   * Age column: rows whose value is older than `retentionMs` are deleted. A NULL never matches, so
   * the outbox's `sent_at` keeps every unsent row.
   */
  timeColumn: string;
  retentionMs: number;
  /** How often `start()` prunes (default 10 minutes; 0 = never, e.g. when a job does it). */
  intervalMs?: number;
  /** Rows per DELETE (default 1000). */
  batchSize?: number;
  /** Option names in error texts, e.g. `['inboxRetentionMs', 'inboxPruneIntervalMs']`. */
  optionNames?: [retention: string, interval: string];
  logger?: MessagingLogger;
}

/**
 * Deletes a table's rows older than a retention period, in batches, on a timer. The first prune
 * runs one interval after `start()`, so N instances starting together do not all prune at once, and
 * each batch skips rows another instance is deleting (`FOR UPDATE SKIP LOCKED`). Used for the outbox
 * (sent rows), the inbox and the gateway's idempotency keys.
 */
export class RetentionPruner {
  readonly retentionMs: number;
  readonly intervalMs: number;
  private readonly batchSize: number;
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;
  private started = false;

  constructor(private readonly options: RetentionPrunerOptions) {
    const [retentionName, intervalName] = options.optionNames ?? ['retentionMs', 'pruneIntervalMs'];
    this.retentionMs = options.retentionMs;
    this.intervalMs = options.intervalMs ?? DEFAULT_PRUNE_INTERVAL_MS;
    this.batchSize = options.batchSize ?? PRUNE_BATCH;
    if (!(this.retentionMs > 0)) throw new Error(`${retentionName}: must be greater than 0`);
    if (!(this.intervalMs >= 0)) throw new Error(`${intervalName}: must be 0 or more`);
    if (!(Number.isInteger(this.batchSize) && this.batchSize > 0)) throw new Error('batchSize: must be a whole number above 0');
  }

  /** Deletes every row past the retention, one batch per statement. Returns the rows deleted. */
  pruneOnce(): Promise<number> {
    return this.prune(() => true);
  }

  /** Batches until one comes back short, or `goOn()` turns false (a stop between two batches). */
  private async prune(goOn: () => boolean): Promise<number> {
    const { dataSource, table, key, timeColumn } = this.options;
    let total = 0;
    for (;;) {
      const result: unknown = await dataSource.query(
        `DELETE FROM ${table} WHERE (${key}) IN (
           SELECT ${key} FROM ${table}
           WHERE ${timeColumn} < now() - make_interval(secs => $1::double precision / 1000)
           LIMIT $2 FOR UPDATE SKIP LOCKED)`,
        [this.retentionMs, this.batchSize],
      );
      // pg through TypeORM returns [rows, count] for DELETE.
      const deleted = Array.isArray(result) && typeof result[1] === 'number' ? result[1] : 0;
      total += deleted;
      if (deleted < this.batchSize || !goOn()) return total;
    }
  }

  /** Prunes every `intervalMs` (first one interval from now) until `stop()`. No-op when the interval is 0. */
  start(): void {
    if (this.started || this.intervalMs === 0) return;
    this.started = true;
    this.schedule();
  }

  /** Stops the timer and waits for a prune in progress (it ends after its current batch). */
  async stop(): Promise<void> {
    this.started = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      this.running = this.prune(() => this.started)
        .then((pruned) => {
          if (pruned > 0) this.options.logger?.log({ msg: 'rows pruned', pruned, table: this.options.table });
        })
        .catch((e) => this.options.logger?.error({ msg: 'prune failed', table: this.options.table, err: errorFields(e) }))
        .finally(() => {
          this.running = undefined;
          if (this.started) this.schedule();
        });
    }, this.intervalMs);
    // A pending prune never keeps the process alive.
    this.timer.unref();
  }
}
