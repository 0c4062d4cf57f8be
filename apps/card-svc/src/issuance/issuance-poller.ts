import { randomUUID } from 'node:crypto';
import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown, type OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Counter } from 'prom-client';
import { DataSource } from 'typeorm';
import { KeySecureClient } from '@issuing-bridge/keysecure';
import { KafkaCommandTransport, Outbox } from '@issuing-bridge/messaging';
import { InjectAppConfig } from '@issuing-bridge/platform';
import { lockCard, recordStatus, SETTLED_STATUSES } from '../cards/card-status';
import type { CardSvcConfig } from '../config/config.schema';

const polls = new Counter({
  name: 'card_issuance_polls_total',
  help: 'Card detail polls of Pending cards, by outcome',
  labelNames: ['outcome'],
});

interface DueCard {
  card_unique_no: string;
  card_no: string;
  poll_attempts: number;
}

/**
 * Follows Pending cards until issuance settles, driven from `card.cards`: claims due rows with a
 * lease (FOR UPDATE SKIP LOCKED, so N instances never poll one card at once), polls card detail,
 * records the status and schedules the next poll with exponential backoff.
 */
@Injectable()
export class IssuancePoller implements OnApplicationBootstrap, OnModuleDestroy, OnApplicationShutdown {
  private readonly log = new Logger('IssuancePoller');
  private readonly owner = randomUUID();
  private readonly outbox: Outbox;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;

  constructor(
    private readonly ks: KeySecureClient,
    @InjectDataSource() private readonly ds: DataSource,
    @InjectAppConfig() private readonly config: CardSvcConfig,
    transport: KafkaCommandTransport,
  ) {
    this.outbox = transport.relay?.outbox ?? new Outbox();
  }

  onApplicationBootstrap(): void {
    if (this.config.CARD_ISSUANCE_POLL_INTERVAL_MS > 0) this.schedule();
  }

  onModuleDestroy(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.pollDue()
        .then(() => undefined)
        .catch((e: Error) => this.log.error(`issuance poll round failed: ${e.message}`))
        .finally(() => this.schedule());
    }, this.config.CARD_ISSUANCE_POLL_INTERVAL_MS);
  }

  /** One round: claim due cards, poll each. Returns how many were polled. */
  async pollDue(limit = 20): Promise<number> {
    const claimed = await this.claim(limit);
    for (const card of claimed) {
      if (this.stopped) break;
      await this.pollOne(card);
    }
    return claimed.length;
  }

  private async claim(limit: number): Promise<DueCard[]> {
    const result: [DueCard[], number] | DueCard[] = await this.ds.query(
      `UPDATE "card".cards c SET poll_lease_owner = $1,
              poll_lease_until = now() + make_interval(secs => $2::double precision / 1000)
        WHERE c.card_unique_no IN (
          SELECT card_unique_no FROM "card".cards
           WHERE next_poll_at <= now() AND (poll_lease_until IS NULL OR poll_lease_until < now())
           ORDER BY next_poll_at LIMIT $3 FOR UPDATE SKIP LOCKED)
        RETURNING c.card_unique_no, c.card_no, c.poll_attempts`,
      [this.owner, this.config.CARD_ISSUANCE_LEASE_MS, limit],
    );
    return (Array.isArray(result[0]) ? result[0] : result) as DueCard[];
  }

  private nextDelayMs(attempts: number): number {
    const { CARD_ISSUANCE_BACKOFF_START_MS: start, CARD_ISSUANCE_BACKOFF_MAX_MS: max } = this.config;
    return Math.min(max, start * 2 ** Math.min(attempts, 20));
  }

  private async pollOne(due: DueCard): Promise<void> {
    const observedAt = new Date(); // before the call: a command committed meanwhile stays newer
    let status: string | undefined;
    let lastNo: string | null = null;
    let organization: string | null = null;
    try {
      const detail = await this.ks.getCard(due.card_no);
      status = detail.status;
      lastNo = detail.card_last_no ?? null;
      organization = detail.organization ?? null;
      polls.inc({ outcome: SETTLED_STATUSES.has(status) ? 'settled' : 'pending' });
    } catch (e) {
      polls.inc({ outcome: 'error' });
      this.log.warn(`card detail poll of ${due.card_unique_no} failed: ${(e as Error).message}`);
    }
    await this.ds.transaction(async (tx) => {
      const card = await lockCard(tx, { card_unique_no: due.card_unique_no });
      if (!card) return;
      if (status !== undefined) {
        const changed = await recordStatus(tx, this.config.CARD_EVENTS_TOPIC, card, { status, time: observedAt, source: 'poll' });
        await this.outbox.add(tx, changed);
      }
      const settled = SETTLED_STATUSES.has(card.status);
      await tx.query(
        `UPDATE "card".cards SET poll_lease_owner = NULL, poll_lease_until = NULL, poll_attempts = poll_attempts + 1,
                card_last_no = COALESCE(card_last_no, $2), organization = COALESCE(organization, $3),
                next_poll_at = CASE WHEN $4 THEN NULL ELSE now() + make_interval(secs => $5::double precision / 1000) END
          WHERE card_unique_no = $1 AND poll_lease_owner = $6`,
        [due.card_unique_no, lastNo, organization, settled, this.nextDelayMs(due.poll_attempts), this.owner],
      );
    });
  }
}
