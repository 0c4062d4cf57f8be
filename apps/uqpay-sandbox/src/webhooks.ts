import { createHmac, randomUUID } from 'node:crypto';
import { RetryingDelivery, type DeliveryRetrySettings } from '@issuing-bridge/provider-sandbox';
import type { SandboxState, WebhookRecord } from './state';

export interface WebhookSettings extends DeliveryRetrySettings {
  url?: string;
  /** HMAC-SHA512 key; when empty no x-wk-signature is sent (as UQPAY without a configured secret). */
  secret: string;
  timestampUnit: 'ms' | 's';
  clock: () => number;
  log: (event: string, fields: Record<string, unknown>) => void;
}

/** hex(HMAC-SHA512(secret, body ‖ timestamp)): UQPAY's webhook signature (own code, not libs/uqpay). */
export function signWebhook(body: string, timestamp: string, secret: string): string {
  return createHmac('sha512', secret)
    .update(body + timestamp, 'utf8')
    .digest('hex');
}

/**
 * Sends signed V1.6.0 webhooks and retries each until the receiver answers 2xx (capped exponential backoff).
 * event_id and body stay the same across retries; x-wk-timestamp and x-wk-signature are made per attempt.
 */
export class WebhookDispatcher extends RetryingDelivery<WebhookRecord> {
  constructor(
    private readonly state: SandboxState,
    private readonly settings: WebhookSettings,
  ) {
    const { url, retryBaseMs, retryMaxMs, maxAttempts, requestTimeoutMs } = settings;
    super({
      url,
      retryBaseMs,
      retryMaxMs,
      maxAttempts,
      requestTimeoutMs,
      refusal: (statusCode) =>
        statusCode >= 200 && statusCode < 300 ? null : `HTTP ${statusCode}`,
      onDelivered: (record) =>
        settings.log('webhook_delivered', {
          event_id: record.event_id,
          attempts: record.attempts,
        }),
      onFailed: (record) =>
        settings.log('webhook_failed', {
          event_id: record.event_id,
          attempts: record.attempts,
          error: record.lastError,
        }),
    });
  }

  emit(
    eventType: string,
    sourceId: string,
    cardId: string,
    status: string,
    data: Record<string, unknown>,
  ): WebhookRecord {
    const eventId = randomUUID();
    const record: WebhookRecord = {
      event_id: eventId,
      event_type: eventType,
      card_id: cardId,
      status,
      attempts: 0,
      delivered: false,
      lastError: this.settings.url ? null : 'no webhook URL configured',
    };
    this.state.webhooks.push(record);
    const body = JSON.stringify({
      version: 'V1.6.0',
      event_name: 'ISSUING',
      event_type: eventType,
      event_id: eventId,
      source_id: sourceId,
      data,
    });
    this.deliver(record, () => this.signedRequest(body));
    return record;
  }

  /** Headers of one attempt: x-wk-timestamp and x-wk-signature are made anew each time; the body stays. */
  private signedRequest(body: string): { headers: Record<string, string>; body: string } {
    const { secret, timestampUnit, clock } = this.settings;
    const now = clock();
    const timestamp = String(timestampUnit === 's' ? Math.floor(now / 1000) : Math.trunc(now));
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'x-wk-timestamp': timestamp,
    };
    if (secret) headers['x-wk-signature'] = signWebhook(body, timestamp, secret);
    return { headers, body };
  }
}
