import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { OutboxEntry } from './entities';
import type { BusProducer, MessageBus } from './message-bus';
import { messagingMetrics } from './metrics';
import type { OutboxMessage } from './types';

export interface MessagingLogger {
  log(message: string, context?: unknown): void;
  warn(message: string, context?: unknown): void;
  error(message: string, context?: unknown): void;
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

/** Writes outbox rows inside a caller's transaction (pollers, callbacks, the command engine). */
export class Outbox {
  constructor(private readonly afterAdd: () => void = () => undefined) {}

  async add(tx: EntityManager, messages: OutboxMessage[]): Promise<void> {
    if (messages.length === 0) return;
    await tx.insert(OutboxEntry, outboxRows(messages));
    // Not committed yet: the relay's wake finds nothing until then, and its poll catches the rest.
    this.afterAdd();
  }
}

export interface OutboxRelayOptions {
  dataSource: DataSource;
  bus: MessageBus;
  batchSize?: number;
  pollIntervalMs?: number;
  /** How long a claim holds; rows of a relay that died are taken again after it. */
  leaseMs?: number;
  logger?: MessagingLogger;
}

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
  private readonly batchSize: number;
  private readonly pollIntervalMs: number;
  private readonly leaseMs: number;
  readonly outbox: Outbox;

  constructor(private readonly options: OutboxRelayOptions) {
    const meta = options.dataSource.getMetadata(OutboxEntry);
    this.table = meta.schema ? `"${meta.schema}"."${meta.tableName}"` : `"${meta.tableName}"`;
    this.batchSize = options.batchSize ?? 200;
    this.pollIntervalMs = options.pollIntervalMs ?? 500;
    this.leaseMs = options.leaseMs ?? 30_000;
    this.outbox = new Outbox(() => this.wake());
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.producer = this.options.bus.createProducer({ idempotent: true });
    await this.producer.connect();
    this.running = true;
    this.loop = this.run();
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
    await this.loop;
    await this.flush(flushTimeoutMs).catch((e) => this.options.logger?.warn('outbox flush failed', { error: String(e) }));
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
    return this.options.dataSource.transaction(async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [this.table]);
      const result: [ClaimedRow[], number] | ClaimedRow[] = await tx.query(
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
      // pg through TypeORM returns [rows, count] for UPDATE … RETURNING.
      return (Array.isArray(result[0]) ? result[0] : result) as ClaimedRow[];
    });
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
        this.options.logger?.error('outbox relay round failed', { error: e instanceof Error ? e.message : String(e) });
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
