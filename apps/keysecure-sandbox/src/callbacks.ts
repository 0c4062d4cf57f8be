import { randomUUID } from 'node:crypto';
import { RetryingDelivery, type DeliveryRetrySettings } from '@issuing-bridge/provider-sandbox';
import { signCallback } from './crypto';
import type { CallbackRecord, CardStatus, SandboxState } from './state';

export interface CallbackSettings extends DeliveryRetrySettings {
  callbackUrl?: string;
  appId: string;
  apiSecret: string;
  clock: () => number;
  log: (event: string, fields: Record<string, unknown>) => void;
}

/**
 * Sends signed `Card_update` pushes and retries each one with capped exponential backoff until the merchant
 * answers `{code: 0}`. The push `id` stays the same across retries; Timestamp and Signature are made per attempt.
 */
export class CallbackDispatcher extends RetryingDelivery<CallbackRecord> {
  constructor(
    private readonly state: SandboxState,
    private readonly settings: CallbackSettings,
  ) {
    const { retryBaseMs, retryMaxMs, maxAttempts, requestTimeoutMs } = settings;
    super({
      url: settings.callbackUrl,
      retryBaseMs,
      retryMaxMs,
      maxAttempts,
      requestTimeoutMs,
      refusal: (statusCode, text) => {
        let code: unknown;
        try {
          code = (JSON.parse(text) as { code?: unknown }).code;
        } catch {
          code = undefined;
        }
        return statusCode === 200 && code === 0 ? null : `HTTP ${statusCode}, code ${String(code)}`;
      },
      onDelivered: (record) => {
        record.deliveredAt = settings.clock();
        settings.log('callback_delivered', {
          id: record.id,
          card_no: record.data.card_no,
          attempts: record.attempts,
        });
      },
      onFailed: (record) =>
        settings.log('callback_failed', {
          id: record.id,
          attempts: record.attempts,
          error: record.lastError,
        }),
    });
  }

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
    this.deliver(record, () => this.signedRequest(record));
    return record;
  }

  /** Headers and body of one attempt: Timestamp and Signature are made anew each time. */
  private signedRequest(record: CallbackRecord): { headers: Record<string, string>; body: string } {
    const { appId, apiSecret, clock } = this.settings;
    const timestamp = String(clock());
    return {
      headers: {
        'content-type': 'application/json',
        timestamp,
        signature: signCallback(record.data, appId, timestamp, apiSecret),
        'sign-version': 'V1',
        timezone: 'UTC+8',
      },
      body: JSON.stringify({ id: record.id, action: record.action, data: record.data }),
    };
  }
}
