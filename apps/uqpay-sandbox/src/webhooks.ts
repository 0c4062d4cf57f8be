import { createHmac, randomUUID } from 'node:crypto';
import { request } from 'undici';
import type { SandboxState, WebhookRecord } from './state';

export interface WebhookSettings {
  url?: string;
  /** HMAC-SHA512 key; when empty no x-wk-signature is sent (as UQPAY without a configured secret). */
  secret: string;
  timestampUnit: 'ms' | 's';
  clock: () => number;
  retryBaseMs: number;
  retryMaxMs: number;
  maxAttempts: number;
  requestTimeoutMs: number;
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
export class WebhookDispatcher {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inFlight = new Set<Promise<void>>();
  private closed = false;

  constructor(
    private readonly state: SandboxState,
    private readonly settings: WebhookSettings,
  ) {}

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
    if (this.settings.url) this.attempt(record, body);
    return record;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.cancelPending();
    await Promise.allSettled([...this.inFlight]);
  }

  cancelPending(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private attempt(record: WebhookRecord, body: string): void {
    if (this.closed) return;
    const p = this.send(record, body).finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
  }

  private async send(record: WebhookRecord, body: string): Promise<void> {
    const { url, secret, timestampUnit, clock, requestTimeoutMs } = this.settings;
    record.attempts += 1;
    const now = clock();
    const timestamp = String(timestampUnit === 's' ? Math.floor(now / 1000) : Math.trunc(now));
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'x-wk-timestamp': timestamp,
    };
    if (secret) headers['x-wk-signature'] = signWebhook(body, timestamp, secret);
    try {
      const res = await request(url as string, {
        method: 'POST',
        headers,
        body,
        headersTimeout: requestTimeoutMs,
        bodyTimeout: requestTimeoutMs,
      });
      await res.body.text();
      if (res.statusCode >= 200 && res.statusCode < 300) {
        record.delivered = true;
        record.lastError = null;
        this.settings.log('webhook_delivered', {
          event_id: record.event_id,
          attempts: record.attempts,
        });
        return;
      }
      record.lastError = `HTTP ${res.statusCode}`;
    } catch (err) {
      record.lastError = (err as Error).message;
    }
    this.settings.log('webhook_failed', {
      event_id: record.event_id,
      attempts: record.attempts,
      error: record.lastError,
    });
    if (this.closed || record.attempts >= this.settings.maxAttempts) return;
    const delay = Math.min(
      this.settings.retryMaxMs,
      this.settings.retryBaseMs * 2 ** (record.attempts - 1),
    );
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.attempt(record, body);
    }, delay);
    this.timers.add(timer);
  }
}
