import { EVENT_TYPES } from '@issuing-bridge/contracts';
import { parseUqpayCardEvent, toBridgeCardStatus, type UqpayWebhookEnvelope } from '@issuing-bridge/uqpay';

/** The part of a verified UQPAY card webhook this service uses. */
export interface UqpayCardUpdate {
  /** Our event id (causationid of the status change). */
  eventId: string;
  cardId: string;
  /** Bridge status for a card of this form factor; undefined = a status we do not map. */
  statusFor(cardType: string): string | undefined;
  reason: string | null;
  time: Date;
}

/**
 * Reads a `uqpay.webhook.received.v1` envelope (published by the gateway after verifying it);
 * undefined when it is not a card event that changed something (other events, failed status updates).
 */
export function uqpayCardUpdateOf(raw: unknown): UqpayCardUpdate | undefined {
  const e = raw as { id?: unknown; type?: unknown; data?: (UqpayWebhookEnvelope & { timestamp_ms?: unknown }) | null } | null;
  if (!e || e.type !== EVENT_TYPES.uqpayWebhookReceived || !e.data || typeof e.data.timestamp_ms !== 'number') return undefined;
  let event;
  try {
    event = parseUqpayCardEvent({ envelope: e.data, timestampMs: e.data.timestamp_ms });
  } catch {
    return undefined; // a card event without the fields it needs
  }
  // A failed status update reports the unchanged status: nothing to record.
  if (!event || !event.succeeded) return undefined;
  const status = event.status;
  return {
    eventId: String(e.id),
    cardId: event.cardId,
    statusFor: (cardType) => toBridgeCardStatus(status, cardType === 'Physical' ? 'PHYSICAL' : 'VIRTUAL'),
    reason: event.reason ?? null,
    time: new Date(event.time),
  };
}
