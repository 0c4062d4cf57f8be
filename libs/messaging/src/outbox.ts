import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { InboxEntry, OutboxEntry, requireMessagingEntities } from './entities';
import { errorFields } from './errors';
import type { BusProducer, MessageBus } from './message-bus';
import { messagingMetrics } from './metrics';
import { RetentionPruner } from './retention';
import type { OutboxMessage } from './types';

/** One structured log line: `msg` plus fields (ids, counts, `err: {name, code, retryable}`), never a payload. */
export interface MessagingLogEntry {
  msg: string;
  [field: string]: unknown;
}

/**
 * Where the engine logs. Nest's `Logger` fits: with nestjs-pino as the app logger, an object's
 * properties become top-level fields of the JSON line (a second argument would only be a context name).
 */
export interface MessagingLogger {
  log(entry: MessagingLogEntry): void;
  warn(entry: MessagingLogEntry): void;
  error(entry: MessagingLogEntry): void;
}

export const CLOUDEVENTS_CONTENT_TYPE = 'application/cloudevents+json';

export function outboxRows(messages: OutboxMessage[]): Partial<OutboxEntry>[] {
  return messages.map((m) => ({
    topic: m.topic,
    key: m.key,
    value: typeof m.event === 'string' ? m.event : JSON.stringify(m.event),
    headers: typeof m.event === 'string' ? { ...m.headers } : { 'content-type': CLOUDEVENTS_CONTENT_TYPE, ...m.headers },
  }));
}

/** Schema-qualified table name of an entity on a DataSource, cached (metadata look-ups are not free). */
const tableNames = new WeakMap<object, Map<unknown, string>>();
export function qualifiedTable(dataSource: DataSource, entity: typeof InboxEntry | typeof OutboxEntry): string {
  let byEntity = tableNames.get(dataSource);
  if (!byEntity) tableNames.set(dataSource, (byEntity = new Map()));
  let name = byEntity.get(entity);
  if (!name) {
    const meta = dataSource.getMetadata(entity);
    name = meta.schema ? `"${meta.schema}"."${meta.tableName}"` : `"${meta.tableName}"`;
    byEntity.set(entity, name);
  }
  return name;
}

/** Columns of `messages` as parallel arrays, for one `INSERT … SELECT FROM unnest(…)` of all rows. */
export function outboxColumns(messages: OutboxMessage[]): [string[], Array<string | null>, string[], string[]] {
  const rows = outboxRows(messages);
  return [
    rows.map((r) => r.topic!),
    rows.map((r) => r.key ?? null),
    rows.map((r) => r.value!),
    rows.map((r) => JSON.stringify(r.headers)),
  ];
}

/**
 * `INSERT … SELECT` of the rows passed as parameters $first…$first+3 (topic, key, value, headers
 * arrays). Ordered by position, so ids (the publishing order) follow the given order.
 */
export function outboxInsertSql(table: string, first: number): string {
  const [t, k, v, h] = [first, first + 1, first + 2, first + 3];
  return `INSERT INTO ${table} (topic, key, value, headers)
    SELECT m.topic, m.key, m.value, m.headers::jsonb
    FROM unnest($${t}::text[], $${k}::text[], $${v}::text[], $${h}::text[]) WITH ORDINALITY AS m(topic, key, value, headers, n)
    ORDER BY m.n`;
}

/** Writes outbox rows inside a caller's transaction (pollers, callbacks, the command engine). */
export class Outbox {
  /** Transactions that added rows; a WeakSet so a forgotten manager is not kept alive. */
  private readonly added = new WeakSet<EntityManager>();

  constructor(private readonly afterAdd: () => void = () => undefined) {}

  async add(tx: EntityManager, messages: OutboxMessage[]): Promise<void> {
    if (messages.length === 0) return;
    // One plain multi-row INSERT (no RETURNING, no entity mapping): the hot path of every command.
    await tx.query(outboxInsertSql(qualifiedTable(tx.connection, OutboxEntry), 1), outboxColumns(messages));
    this.added.add(tx);
    // Not committed yet: this wake may find nothing. Use `transaction()` to wake after the commit.
    this.afterAdd();
  }

  /**
   * Runs `work` in one transaction of `dataSource` and, once it has committed, wakes the relay if
   * `work` added rows through this outbox, so they are published now instead of at the next poll.
   * Returns what `work` returns; a rollback wakes nothing.
   */
  async transaction<T>(dataSource: DataSource, work: (tx: EntityManager) => Promise<T>): Promise<T> {
    let manager: EntityManager | undefined;
    const result = await dataSource.transaction((tx) => {
      manager = tx;
      return work(tx);
    });
    if (manager && this.added.has(manager)) {
      this.added.delete(manager);
      this.afterAdd();
    }
    return result;
  }
}

export interface OutboxRelayOptions {
  dataSource: DataSource;
  bus: MessageBus;
  batchSize?: number;
  pollIntervalMs?: number;
  /** How long a claim holds; rows of a relay that died are taken again after it. */
  leaseMs?: number;
  /** Sent rows older than this are deleted by the relay (default 7 days). */
  retentionMs?: number;
  /** How often the relay prunes sent rows (default 10 minutes; 0 = never, e.g. when a job does it). */
  pruneIntervalMs?: number;
  logger?: MessagingLogger;
}

export const DEFAULT_OUTBOX_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

interface ClaimedRow {
  id: string;
  topic: string;
  key: string | null;
  value: string;
  headers: Record<string, string>;
}

/**
 * Publishes outbox rows in id order per (topic, key) with an idempotent producer. Claims take a lease
 * with FOR UPDATE SKIP LOCKED; a row is skipped while an earlier unsent row of its key is leased to
 * another relay, so N relays never reorder one key. Claims serialise on an advisory lock (they are short).
 */
export class OutboxRelay {
  readonly id = randomUUID();
  private producer?: BusProducer;
  private running = false;
  private loop?: Promise<void>;
  private wakeUp?: () => void;
  private pendingWake = false;
  private readonly table: string;
  /** The claim lock's key as an SQL literal (the same key as before: the quoted table name). */
  private readonly lockKey: string;
  private readonly batchSize: number;
  private readonly pollIntervalMs: number;
  private readonly leaseMs: number;
  /** Deletes sent rows past the retention (unsent rows have no `sent_at`, so they never match). */
  private readonly pruner: RetentionPruner;
  readonly outbox: Outbox;

  constructor(private readonly options: OutboxRelayOptions) {
    requireMessagingEntities(options.dataSource);
    const meta = options.dataSource.getMetadata(OutboxEntry);
    this.table = meta.schema ? `"${meta.schema}"."${meta.tableName}"` : `"${meta.tableName}"`;
    this.lockKey = `'${this.table.replace(/'/g, "''")}'`;
    this.batchSize = options.batchSize ?? 200;
    this.pollIntervalMs = options.pollIntervalMs ?? 500;
    this.leaseMs = options.leaseMs ?? 30_000;
    this.pruner = new RetentionPruner({
      dataSource: options.dataSource,
      table: this.table,
      key: 'id',
      timeColumn: 'sent_at',
      retentionMs: options.retentionMs ?? DEFAULT_OUTBOX_RETENTION_MS,
      intervalMs: options.pruneIntervalMs,
      logger: options.logger,
    });
    this.outbox = new Outbox(() => this.wake());
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.producer = this.options.bus.createProducer({ idempotent: true });
    await this.producer.connect();
    this.running = true;
    this.loop = this.run();
    this.pruner.start();
  }

  /** Call after a transaction that added outbox rows committed. */
  wake(): void {
    this.pendingWake = true;
    this.wakeUp?.();
  }

  /** Publishes until nothing is claimable (or the time is up). */
  async flush(timeoutMs = 10_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until && (await this.publishOnce()) > 0);
  }

  async stop(flushTimeoutMs = 10_000): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.wakeUp?.();
    await Promise.all([this.loop, this.pruner.stop()]);
    await this.flush(flushTimeoutMs).catch((e) => this.options.logger?.warn({ msg: 'outbox flush failed', err: errorFields(e) }));
    await this.producer?.disconnect();
  }

  async backlog(): Promise<number> {
    const rows: Array<{ n: string }> = await this.options.dataSource.query(
      `SELECT count(*) AS n FROM ${this.table} WHERE sent_at IS NULL`,
    );
    const n = Number(rows[0]?.n ?? 0);
    messagingMetrics.outboxBacklog.set({ table: this.table }, n);
    return n;
  }

  /**
   * Deletes rows sent more than `retentionMs` ago, in batches (unsent rows are never touched).
   * Safe with N relays: each batch skips rows another relay is deleting. Returns the rows deleted.
   */
  pruneOnce(): Promise<number> {
    return this.pruner.pruneOnce();
  }

  /** One claim → send → mark round; returns the number of rows published. */
  async publishOnce(): Promise<number> {
    if (!this.producer) throw new Error('OutboxRelay: start() first');
    const rows = await this.claim();
    if (rows.length === 0) return 0;
    rows.sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
    const ids = rows.map((r) => r.id);
    try {
      await this.producer.send(rows.map((r) => ({ topic: r.topic, key: r.key, value: r.value, headers: r.headers })));
    } catch (e) {
      // Give the rows back at once rather than waiting for the lease to run out.
      await this.options.dataSource.query(
        `UPDATE ${this.table} SET claimed_until = NULL, claimed_by = NULL WHERE id = ANY($1::bigint[]) AND claimed_by = $2`,
        [ids, this.id],
      );
      throw e;
    }
    await this.options.dataSource.query(
      `UPDATE ${this.table} SET sent_at = now(), claimed_until = NULL WHERE id = ANY($1::bigint[]) AND claimed_by = $2`,
      [ids, this.id],
    );
    return rows.length;
  }

  private async claim(): Promise<ClaimedRow[]> {
    const runner = this.options.dataSource.createQueryRunner();
    await runner.connect();
    try {
      // BEGIN and the claim lock in one round trip (a simple query without parameters); the claim then
      // runs with a snapshot taken after the lock, so it sees every earlier claim's commit.
      await runner.query(`BEGIN; SELECT pg_advisory_xact_lock(hashtext(${this.lockKey}))`);
      const result: [ClaimedRow[], number] | ClaimedRow[] = await runner.query(
        `WITH claimable AS (
           SELECT o.id FROM ${this.table} o
           WHERE o.sent_at IS NULL AND (o.claimed_until IS NULL OR o.claimed_until < now())
             AND NOT EXISTS (
               SELECT 1 FROM ${this.table} e
               WHERE e.topic = o.topic AND e.key IS NOT DISTINCT FROM o.key AND e.id < o.id
                 AND e.sent_at IS NULL AND e.claimed_until >= now())
           ORDER BY o.id LIMIT $1 FOR UPDATE SKIP LOCKED)
         UPDATE ${this.table} u SET claimed_by = $2, claimed_until = now() + make_interval(secs => $3::double precision / 1000)
         FROM claimable WHERE u.id = claimable.id
         RETURNING u.id::text AS id, u.topic, u.key, u.value, u.headers`,
        [this.batchSize, this.id, this.leaseMs],
      );
      await runner.query('COMMIT');
      // pg through TypeORM returns [rows, count] for UPDATE … RETURNING.
      return (Array.isArray(result[0]) ? result[0] : result) as ClaimedRow[];
    } catch (e) {
      await runner.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      await runner.release();
    }
  }

  private async run(): Promise<void> {
    let lastBacklog = 0;
    while (this.running) {
      let published = 0;
      try {
        published = await this.publishOnce();
        if (Date.now() - lastBacklog > this.pollIntervalMs) {
          lastBacklog = Date.now();
          await this.backlog();
        }
      } catch (e) {
        this.options.logger?.error({ msg: 'outbox relay round failed', err: errorFields(e) });
      }
      if (published === 0 && this.running) await this.sleep();
    }
  }

  private sleep(): Promise<void> {
    if (this.pendingWake) {
      this.pendingWake = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeUp = undefined;
        this.pendingWake = false;
        resolve();
      };
      const timer = setTimeout(done, this.pollIntervalMs);
      this.wakeUp = done;
    });
  }
}
