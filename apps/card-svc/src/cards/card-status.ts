import { Counter } from 'prom-client';
import type { EntityManager } from 'typeorm';
import { EVENT_TYPES, createEvent, type CardStatus } from '@issuing-bridge/contracts';
import type { OutboxMessage } from '@issuing-bridge/messaging';

export const CARD_SOURCE = 'urn:issuing-bridge:card-svc';

export type StatusSource = 'command' | 'poll' | 'callback' | 'reconciliation';

/** Statuses after which issuance is settled and the poller stops following the card. */
export const SETTLED_STATUSES: ReadonlySet<string> = new Set(['ToActivate', 'Activated', 'Fail', 'Frozen', 'Delete']);

export interface CardRecord {
  card_unique_no: string;
  card_no: string | null;
  cardholder_no: string;
  card_type: string;
  card_last_no: string | null;
  organization: string | null;
  status: string;
  status_time: Date;
  provider: string;
}

export interface StatusObservation {
  status: string;
  /** When the provider says it changed (callbacks) or when we asked (poll, reconciliation, command). */
  time: Date;
  source: StatusSource;
  reason?: string | null;
  /** Command id or callback event id. */
  causationid?: string;
  correlationid?: string;
}

export const statusChanges = new Counter({
  name: 'card_status_changes_total',
  help: 'Real card status changes recorded, by source',
  labelNames: ['source'],
});
export const staleStatusUpdates = new Counter({
  name: 'card_status_updates_ignored_total',
  help: 'Status observations dropped, by source and why (same status, older than stored)',
  labelNames: ['source', 'why'],
});

/** Locks the card row for the rest of the transaction: a card of `provider` (default keysecure). */
export async function lockCard(
  tx: EntityManager,
  by: ({ card_unique_no: string } | { card_no: string }) & { provider?: string },
): Promise<CardRecord | undefined> {
  const [column, value] = 'card_unique_no' in by ? ['card_unique_no', by.card_unique_no] : ['card_no', by.card_no];
  const rows: CardRecord[] = await tx.query(
    `SELECT card_unique_no, card_no, cardholder_no, card_type, card_last_no, organization, status, status_time, provider
       FROM "card".cards WHERE ${column} = $1 AND provider = $2 FOR UPDATE`,
    [value, by.provider ?? 'keysecure'],
  );
  return rows[0];
}

export async function findCard(tx: EntityManager, cardUniqueNo: string): Promise<CardRecord | undefined> {
  const rows: CardRecord[] = await tx.query(
    `SELECT card_unique_no, card_no, cardholder_no, card_type, card_last_no, organization, status, status_time, provider
       FROM "card".cards WHERE card_unique_no = $1`,
    [cardUniqueNo],
  );
  return rows[0];
}

export function statusChangedMessage(
  eventsTopic: string,
  card: { card_unique_no: string; card_no: string },
  before: string | null,
  o: StatusObservation,
): OutboxMessage {
  const event = createEvent({
    type: EVENT_TYPES.cardStatusChanged,
    source: CARD_SOURCE,
    subject: card.card_unique_no,
    ...(o.causationid && { causationid: o.causationid }),
    ...(o.correlationid && { correlationid: o.correlationid }),
    data: {
      card_unique_no: card.card_unique_no,
      card_no: card.card_no,
      before: before as CardStatus | null,
      after: o.status as CardStatus,
      source: o.source,
      reason: o.reason ? o.reason.slice(0, 1024) : null,
      time: o.time.toISOString(),
    },
  });
  return { topic: eventsTopic, key: card.card_unique_no, event };
}

/**
 * The single writer of card status: inside the caller's transaction, with the row locked, applies an
 * observation only when it is a real change and not older than the stored status_time, and returns
 * the `card.status_changed.v1` message for the outbox (or nothing).
 */
export async function recordStatus(
  tx: EntityManager,
  eventsTopic: string,
  card: CardRecord,
  o: StatusObservation,
): Promise<OutboxMessage[]> {
  if (card.status === o.status) {
    staleStatusUpdates.inc({ source: o.source, why: 'same_status' });
    return [];
  }
  if (o.time.getTime() < new Date(card.status_time).getTime()) {
    staleStatusUpdates.inc({ source: o.source, why: 'older_than_stored' });
    return [];
  }
  await tx.query(
    `UPDATE "card".cards SET status = $2, status_time = $3, updated_at = now(),
            next_poll_at = CASE WHEN $4 THEN NULL ELSE next_poll_at END
      WHERE card_unique_no = $1`,
    [card.card_unique_no, o.status, o.time, SETTLED_STATUSES.has(o.status)],
  );
  const before = card.status;
  card.status = o.status;
  card.status_time = o.time;
  statusChanges.inc({ source: o.source });
  return [statusChangedMessage(eventsTopic, { card_unique_no: card.card_unique_no, card_no: card.card_no ?? '' }, before, o)];
}
