/**
 * UQPAY webhooks: signature verification and parsing of card status events.
 *
 * Signature (go webhook/verifier.go, py uqpay/webhooks.py): hex(HMAC-SHA512(secret, rawBody ‖ x-wk-timestamp)),
 * the timestamp appended exactly as received, sent in `x-wk-signature`. `x-wk-timestamp` is Unix seconds
 * (docs) or milliseconds (Webhook Hub, per go/py 2.0): values ≥ 1e12 are taken as milliseconds.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { CardStatus } from '@issuing-bridge/contracts';
import { UqpayWebhookError } from './errors';
import type { UqpayCardStatus } from './types';

export const UQPAY_SIGNATURE_HEADER = 'x-wk-signature';
export const UQPAY_TIMESTAMP_HEADER = 'x-wk-timestamp';
/** The SDKs' default tolerance: 5 minutes either side. */
export const UQPAY_WEBHOOK_TOLERANCE_MS = 300_000;

/** V1.6.0 envelope, normalised so that `event_type` is always the specific name (see swapped-field hazard). */
export interface UqpayWebhookEnvelope {
  version?: string;
  /** Category, e.g. 'ISSUING'. */
  event_name: string;
  /** Specific event, e.g. 'card.status.update.succeeded'. */
  event_type: string;
  event_id: string;
  source_id?: string;
  data: Record<string, unknown>;
}

export interface VerifiedUqpayWebhook {
  envelope: UqpayWebhookEnvelope;
  /** x-wk-timestamp as Unix ms. */
  timestampMs: number;
}

export interface VerifyUqpayWebhookOptions {
  secret: string;
  /** Allowed |now − timestamp|, ms. Default 300 000. */
  toleranceMs?: number;
  /** Clock, Unix ms. Default Date.now. */
  now?: () => number;
}

export type UqpayWebhookHeaders = Record<string, string | string[] | undefined>;

/** hex(HMAC-SHA512(secret, rawBody ‖ timestamp)). Used by the sandbox to sign and by verify to check. */
export function signUqpayWebhook(
  rawBody: Buffer | string,
  timestamp: string,
  secret: string,
): string {
  return createHmac('sha512', secret)
    .update(typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : rawBody)
    .update(timestamp, 'utf8')
    .digest('hex');
}

function header(headers: UqpayWebhookHeaders, name: string): string | undefined {
  let value = headers[name];
  if (value === undefined) {
    const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
    value = key === undefined ? undefined : headers[key];
  }
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Verifies signature and freshness over the RAW body bytes, then parses the envelope.
 * Throws UqpayWebhookError naming the header/field and the rule; never echoes the signature or secret.
 */
export function verifyUqpayWebhook(
  rawBody: Buffer | string,
  headers: UqpayWebhookHeaders,
  options: VerifyUqpayWebhookOptions,
): VerifiedUqpayWebhook {
  if (typeof options?.secret !== 'string' || options.secret === '') {
    throw new UqpayWebhookError('secret', 'is required to verify webhooks');
  }
  const timestamp = header(headers, UQPAY_TIMESTAMP_HEADER);
  if (!timestamp) throw new UqpayWebhookError(UQPAY_TIMESTAMP_HEADER, 'is required');
  if (!/^\d{1,16}$/.test(timestamp)) {
    throw new UqpayWebhookError(
      UQPAY_TIMESTAMP_HEADER,
      'must be Unix seconds or milliseconds (digits)',
    );
  }
  const signature = header(headers, UQPAY_SIGNATURE_HEADER);
  if (!signature) throw new UqpayWebhookError(UQPAY_SIGNATURE_HEADER, 'is required');
  const expected = Buffer.from(signUqpayWebhook(rawBody, timestamp, options.secret), 'hex');
  const given = /^[0-9a-fA-F]{128}$/.test(signature)
    ? Buffer.from(signature, 'hex')
    : Buffer.alloc(0);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new UqpayWebhookError(
      UQPAY_SIGNATURE_HEADER,
      'does not match HMAC-SHA512 of body and timestamp',
    );
  }
  const raw = Number(timestamp);
  const timestampMs = raw >= 1e12 ? raw : raw * 1000;
  const now = (options.now ?? Date.now)();
  const tolerance = options.toleranceMs ?? UQPAY_WEBHOOK_TOLERANCE_MS;
  if (Math.abs(now - timestampMs) > tolerance) {
    throw new UqpayWebhookError(UQPAY_TIMESTAMP_HEADER, `must be within ${tolerance} ms of now`);
  }
  return { envelope: parseEnvelope(rawBody), timestampMs };
}

function parseEnvelope(rawBody: Buffer | string): UqpayWebhookEnvelope {
  let value: unknown;
  try {
    value = JSON.parse(typeof rawBody === 'string' ? rawBody : rawBody.toString('utf8'));
  } catch {
    throw new UqpayWebhookError('body', 'must be JSON');
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new UqpayWebhookError('body', 'must be a JSON object');
  }
  const v = value as Record<string, unknown>;
  if (typeof v.event_id !== 'string' || v.event_id === '') {
    throw new UqpayWebhookError('event_id', 'is required (string)');
  }
  if (typeof v.event_type !== 'string' || typeof v.event_name !== 'string') {
    throw new UqpayWebhookError('event_type', 'event_type and event_name are required (strings)');
  }
  if (!v.data || typeof v.data !== 'object' || Array.isArray(v.data)) {
    throw new UqpayWebhookError('data', 'is required (object)');
  }
  // Old docs / uqpay-node swap the two: the category is the upper-case value without dots.
  const isCategory = (s: string) => !s.includes('.') && s === s.toUpperCase();
  const swapped = isCategory(v.event_type) && !isCategory(v.event_name);
  return {
    version: typeof v.version === 'string' ? v.version : undefined,
    event_name: swapped ? v.event_type : v.event_name,
    event_type: swapped ? v.event_name : v.event_type,
    event_id: v.event_id,
    source_id: typeof v.source_id === 'string' ? v.source_id : undefined,
    data: v.data as Record<string, unknown>,
  };
}

/** A card status change from `card.activation.status` or `card.status.update.*`. */
export interface UqpayCardEvent {
  /** Deduplicate on this. */
  eventId: string;
  eventType: string;
  cardId: string;
  /** UQPAY card status after the event ('ACTIVE' for an activation). Map with toBridgeCardStatus. */
  status: UqpayCardStatus;
  /** Unix ms: data.update_time when present and parsable, else the x-wk-timestamp. */
  time: number;
  /** false for card.status.update.failed (the requested change did not happen; `status` is the current one). */
  succeeded: boolean;
  reason?: string;
}

export const UQPAY_CARD_EVENT_TYPES = [
  'card.activation.status',
  'card.status.update.succeeded',
  'card.status.update.failed',
] as const;

/**
 * Card status events as a typed shape; `null` for every other event type (ignore or route elsewhere).
 * Throws UqpayWebhookError when a card event lacks a field it needs.
 */
export function parseUqpayCardEvent(webhook: VerifiedUqpayWebhook): UqpayCardEvent | null {
  const { envelope, timestampMs } = webhook;
  const type = envelope.event_type;
  if (!(UQPAY_CARD_EVENT_TYPES as readonly string[]).includes(type)) return null;
  const data = envelope.data;
  const cardId =
    data.card_id ?? (type === 'card.activation.status' ? envelope.source_id : undefined);
  if (typeof cardId !== 'string' || cardId === '')
    throw new UqpayWebhookError('data.card_id', 'is required (string)');
  const time = parseTime(data.update_time) ?? timestampMs;
  const reason = typeof data.update_reason === 'string' ? data.update_reason : undefined;
  if (type === 'card.activation.status') {
    const s = data.activation_status;
    if (typeof s !== 'string')
      throw new UqpayWebhookError('data.activation_status', 'is required (string)');
    const activated = s.toLowerCase() === 'activated';
    return {
      eventId: envelope.event_id,
      eventType: type,
      cardId,
      status: activated ? 'ACTIVE' : 'PENDING',
      time,
      succeeded: activated,
      reason,
    };
  }
  const status = data.card_status;
  if (typeof status !== 'string' || status === '')
    throw new UqpayWebhookError('data.card_status', 'is required (string)');
  return {
    eventId: envelope.event_id,
    eventType: type,
    cardId,
    status: status.toUpperCase(),
    time,
    succeeded: type.endsWith('.succeeded'),
    reason,
  };
}

function parseTime(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value))
    return value >= 1e12 ? value : value * 1000;
  if (typeof value === 'string' && value !== '') {
    if (/^\d+$/.test(value)) return parseTime(Number(value));
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}

/**
 * UQPAY card status → the bridge's card status (libs/contracts CardStatus). `undefined` = unknown status:
 * do not guess; poll getCard or alert. PENDING means "awaiting activation" for a physical card.
 */
export function toBridgeCardStatus(
  status: UqpayCardStatus,
  formFactor?: 'PHYSICAL' | 'VIRTUAL' | (string & {}),
): CardStatus | undefined {
  switch (String(status).toUpperCase()) {
    case 'PENDING':
      return formFactor?.toUpperCase() === 'PHYSICAL' ? 'ToActivate' : 'Pending';
    case 'ACTIVE':
      return 'Activated';
    case 'FROZEN':
    case 'BLOCKED': // set by UQPAY, not undoable by us: unusable but not terminal
    case 'INACTIVE': // legacy name of FROZEN
    case 'SUSPENDED':
      return 'Frozen';
    case 'PRE_CANCEL': // irreversible: new authorisations declined, becomes CANCELLED later
    case 'CANCELLED':
    case 'LOST':
    case 'STOLEN':
    case 'CLOSED':
      return 'Delete';
    case 'FAILED':
      return 'Fail';
    default:
      return undefined;
  }
}
