import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { InjectDataSource } from '@nestjs/typeorm';
import { Counter, Gauge } from 'prom-client';
import { DataSource } from 'typeorm';
import { KeySecureClient, type CardRow } from '@issuing-bridge/keysecure';
import { KafkaCommandTransport, Outbox } from '@issuing-bridge/messaging';
import { InjectAppConfig } from '@issuing-bridge/platform';
import { lockCard, recordStatus, statusChangedMessage, SETTLED_STATUSES } from '../cards/card-status';
import type { CardSvcConfig } from '../config/config.schema';
import { daysAgo, formatListTime } from './list-window';

const JOB = 'keysecure.card_list';
// One advisory lock key for the job across all instances.
const LOCK_KEY = 'card-svc.reconciliation';
const DAY_MS = 86_400_000;

const runs = new Counter({ name: 'card_reconciliation_runs_total', help: 'Reconciliation runs by outcome', labelNames: ['outcome'] });
const pages = new Counter({ name: 'card_reconciliation_pages_total', help: 'Card list pages read by reconciliation' });
const cardsSeen = new Counter({ name: 'card_reconciliation_cards_total', help: 'Cards seen by reconciliation, by outcome', labelNames: ['outcome'] });
const cursorGauge = new Gauge({ name: 'card_reconciliation_cursor_seconds', help: 'Start of the window reconciliation is reading (Unix s)' });

export interface ReconciliationResult {
  outcome: 'completed' | 'skipped_locked' | 'failed';
  pages: number;
  cards: number;
  changed: number;
  inserted: number;
  resumedFrom?: { windowStart: string; page: number };
  error?: string;
}

interface Cursor {
  window_start: Date;
  page: number;
}

/**
 * Pages KeySecure's card list over windows of ≤ 90 days (0-based pages, short page = end of window),
 * upserting what it finds through the single status writer. Progress is stored after every page, so
 * a run that dies resumes there. A Postgres advisory lock lets one instance run it at a time.
 */
@Injectable()
export class CardReconciliation implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('CardReconciliation');
  private readonly outbox: Outbox;
  private current?: Promise<ReconciliationResult>;

  constructor(
    private readonly ks: KeySecureClient,
    @InjectDataSource() private readonly ds: DataSource,
    @InjectAppConfig() private readonly config: CardSvcConfig,
    private readonly scheduler: SchedulerRegistry,
    transport: KafkaCommandTransport,
  ) {
    this.outbox = transport.relay?.outbox ?? new Outbox();
  }

  onApplicationBootstrap(): void {
    const every = this.config.CARD_RECONCILE_INTERVAL_MS;
    if (every > 0) {
      const timer = setInterval(() => void this.runNow().catch(() => undefined), every);
      this.scheduler.addInterval('card-reconciliation', timer);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.current?.catch(() => undefined);
  }

  /** Runs now unless a run is already going here or on another instance. */
  runNow(): Promise<ReconciliationResult> {
    if (this.current) return this.current;
    this.current = this.run().finally(() => (this.current = undefined));
    return this.current;
  }

  private async run(): Promise<ReconciliationResult> {
    const runner = this.ds.createQueryRunner();
    await runner.connect();
    const result: ReconciliationResult = { outcome: 'completed', pages: 0, cards: 0, changed: 0, inserted: 0 };
    try {
      const [{ locked }] = await runner.query(`SELECT pg_try_advisory_lock(hashtext($1)) AS locked`, [LOCK_KEY]);
      if (!locked) {
        this.log.log('reconciliation skipped: another instance holds the lock');
        runs.inc({ outcome: 'skipped_locked' });
        return { ...result, outcome: 'skipped_locked' };
      }
      try {
        await this.pageThrough(result);
        runs.inc({ outcome: 'completed' });
        this.log.log(`reconciliation completed: ${result.pages} pages, ${result.cards} cards, ${result.changed} changed, ${result.inserted} new`);
        return result;
      } catch (e) {
        runs.inc({ outcome: 'failed' });
        this.log.error(`reconciliation failed (resumes from the stored cursor): ${(e as Error).message}`);
        return { ...result, outcome: 'failed', error: (e as Error).message };
      } finally {
        await runner.query(`SELECT pg_advisory_unlock(hashtext($1))`, [LOCK_KEY]);
      }
    } finally {
      await runner.release();
    }
  }

  private async pageThrough(result: ReconciliationResult): Promise<void> {
    const size = this.config.CARD_RECONCILE_PAGE_SIZE;
    const windowMs = this.config.CARD_RECONCILE_WINDOW_DAYS * DAY_MS;
    const tz = this.config.KEYSECURE_TIMEZONE;
    const until = new Date(Date.now() + 60_000);
    const stored = await this.loadCursor();
    if (stored) result.resumedFrom = { windowStart: stored.window_start.toISOString(), page: stored.page };
    let windowStart = stored?.window_start ?? daysAgo(new Date(), this.config.CARD_RECONCILE_LOOKBACK_DAYS);
    let page = stored?.page ?? 0;
    if (!stored) await this.saveCursor(windowStart, 0, true);
    while (windowStart < until) {
      const windowEnd = new Date(Math.min(windowStart.getTime() + windowMs, until.getTime()));
      cursorGauge.set(Math.floor(windowStart.getTime() / 1000));
      for (;;) {
        const observedAt = new Date();
        const rows = await this.ks.listCards({
          start_time: formatListTime(windowStart, tz),
          end_time: formatListTime(windowEnd, tz),
          page,
          size,
        });
        pages.inc();
        result.pages++;
        for (const row of rows) await this.upsert(row, observedAt, result);
        this.log.log(
          `reconciliation page ${page} of window ${windowStart.toISOString()}..${windowEnd.toISOString()}: ${rows.length} cards`,
        );
        if (rows.length < size) break;
        page++;
        await this.saveCursor(windowStart, page);
      }
      windowStart = windowEnd;
      page = 0;
      await this.saveCursor(windowStart, 0);
    }
    await this.ds.query(`DELETE FROM "card".reconciliation_cursor WHERE job = $1`, [JOB]);
  }

  private async upsert(row: CardRow, observedAt: Date, result: ReconciliationResult): Promise<void> {
    result.cards++;
    await this.ds.transaction(async (tx) => {
      let card = await lockCard(tx, { card_unique_no: row.card_unique_no });
      if (!card) {
        // Applied at the provider but never stored here (e.g. a crash before the apply committed).
        const inserted = await tx.query(
          `INSERT INTO "card".cards (card_unique_no, card_no, cardholder_no, card_type, card_last_no, organization, status, status_time, next_poll_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, CASE WHEN $9 THEN NULL ELSE now() END)
           ON CONFLICT DO NOTHING RETURNING card_unique_no`,
          [row.card_unique_no, row.card_no, row.cardholder_no, row.card_type, row.card_last_no, row.organization, row.status, observedAt, SETTLED_STATUSES.has(row.status)],
        );
        if (inserted.length === 0) {
          card = await lockCard(tx, { card_unique_no: row.card_unique_no });
          if (!card) return;
        } else {
          result.inserted++;
          cardsSeen.inc({ outcome: 'inserted' });
          await this.outbox.add(tx, [
            statusChangedMessage(this.config.CARD_EVENTS_TOPIC, row, null, { status: row.status, time: observedAt, source: 'reconciliation' }),
          ]);
          return;
        }
      }
      if (card.card_no !== row.card_no) {
        cardsSeen.inc({ outcome: 'card_no_mismatch' });
        this.log.warn(`reconciliation: ${row.card_unique_no} has card_no ${row.card_no} at the provider but ${card.card_no} here; skipped`);
        return;
      }
      const changed = await recordStatus(tx, this.config.CARD_EVENTS_TOPIC, card, { status: row.status, time: observedAt, source: 'reconciliation' });
      cardsSeen.inc({ outcome: changed.length ? 'changed' : 'unchanged' });
      result.changed += changed.length;
      await this.outbox.add(tx, changed);
    });
  }

  private async loadCursor(): Promise<Cursor | undefined> {
    const rows: Cursor[] = await this.ds.query(`SELECT window_start, page FROM "card".reconciliation_cursor WHERE job = $1`, [JOB]);
    return rows[0] ? { window_start: new Date(rows[0].window_start), page: Number(rows[0].page) } : undefined;
  }

  private async saveCursor(windowStart: Date, page: number, fresh = false): Promise<void> {
    await this.ds.query(
      `INSERT INTO "card".reconciliation_cursor (job, window_start, page, run_started_at) VALUES ($1, $2, $3, now())
       ON CONFLICT (job) DO UPDATE SET window_start = $2, page = $3, updated_at = now()
         ${fresh ? ', run_started_at = now()' : ''}`,
      [JOB, windowStart, page],
    );
  }
}
