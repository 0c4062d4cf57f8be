import { randomUUID } from 'node:crypto';
import { request } from 'undici';
import { signCallback } from './crypto';
import type { CallbackRecord, CardStatus, SandboxState } from './state';

export interface CallbackSettings {
  callbackUrl?: string;
  appId: string;
  apiSecret: string;
  clock: () => number;
  retryBaseMs: number;
  retryMaxMs: number;
  maxAttempts: number;
  requestTimeoutMs: number;
  log: (event: string, fields: Record<string, unknown>) => void;
}

/**
 * Sends signed `Card_update` pushes and retries each one with capped exponential backoff until the merchant
 * answers `{code: 0}`. The push `id` stays the same across retries; Timestamp and Signature are made per attempt.
 * Own timer loop (not a backoff library) so that close() can cancel pending retries at once.
 */
export class CallbackDispatcher {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inFlight = new Set<Promise<void>>();
  private closed = false;

  constructor(
    private readonly state: SandboxState,
    private readonly settings: CallbackSettings,
  ) {}

  cardUpdated(
    cardNo: string,
    before: CardStatus,
    after: CardStatus,
    reason: string,
  ): CallbackRecord {
    const record: CallbackRecord = {
      id: randomUUID(),
      action: 'Card_update',
      data: {
        card_no: cardNo,
        before_status: before,
        after_status: after,
        reason,
        time: this.settings.clock(),
      },
      attempts: 0,
      delivered: false,
      lastError: this.settings.callbackUrl ? null : 'no callbackUrl configured',
      deliveredAt: null,
    };
    this.state.callbacks.push(record);
    if (this.settings.callbackUrl) this.attempt(record);
    return record;
  }

  /** Stops retries (pending ones are abandoned) and waits for requests already on the wire. */
  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await Promise.allSettled([...this.inFlight]);
  }

  /** Forget pending retries without closing (admin reset). */
  cancelPending(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private attempt(record: CallbackRecord): void {
    if (this.closed) return;
    const p = this.send(record).finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
  }

  private async send(record: CallbackRecord): Promise<void> {
    const { callbackUrl, appId, apiSecret, clock, requestTimeoutMs } = this.settings;
    record.attempts += 1;
    const timestamp = String(clock());
    const signature = signCallback(record.data, appId, timestamp, apiSecret);
    try {
      const res = await request(callbackUrl as string, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          timestamp,
          signature,
          'sign-version': 'V1',
          timezone: 'UTC+8',
        },
        body: JSON.stringify({ id: record.id, action: record.action, data: record.data }),
        headersTimeout: requestTimeoutMs,
        bodyTimeout: requestTimeoutMs,
      });
      const text = await res.body.text();
      let code: unknown;
      try {
        code = (JSON.parse(text) as { code?: unknown }).code;
      } catch {
        code = undefined;
      }
      if (res.statusCode === 200 && code === 0) {
        record.delivered = true;
        record.deliveredAt = clock();
        record.lastError = null;
        this.settings.log('callback_delivered', {
          id: record.id,
          card_no: record.data.card_no,
          attempts: record.attempts,
        });
        return;
      }
      record.lastError = `HTTP ${res.statusCode}, code ${String(code)}`;
    } catch (err) {
      record.lastError = (err as Error).message;
    }
    this.settings.log('callback_failed', {
      id: record.id,
      attempts: record.attempts,
      error: record.lastError,
    });
    this.scheduleRetry(record);
  }

  private scheduleRetry(record: CallbackRecord): void {
    if (this.closed || record.attempts >= this.settings.maxAttempts) return;
    const { retryBaseMs, retryMaxMs } = this.settings;
    const delay = Math.min(retryMaxMs, retryBaseMs * 2 ** (record.attempts - 1));
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.attempt(record);
    }, delay);
    this.timers.add(timer);
  }
}
