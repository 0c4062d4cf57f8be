import { request } from 'undici';

/** What a sandbox keeps about one push (callback / webhook); the fields are updated on every attempt. */
export interface DeliveryRecord {
  attempts: number;
  delivered: boolean;
  lastError: string | null;
}

/** Retry and timeout settings of a sandbox's pushes (each sandbox names its options in its own words). */
export interface DeliveryRetrySettings {
  /** First retry delay, doubled per attempt */
  retryBaseMs: number;
  /** Cap of one retry delay */
  retryMaxMs: number;
  /** Infinity = until acknowledged */
  maxAttempts: number;
  /** Timeout of one attempt (headers, then body) */
  requestTimeoutMs: number;
}

export interface RetryingDeliverySettings<R extends DeliveryRecord> extends DeliveryRetrySettings {
  /** Where pushes go; nothing is sent when unset. */
  url?: string;
  /** null when the receiver's answer acknowledges the push, else the text kept as `lastError`. */
  refusal(statusCode: number, body: string): string | null;
  /** After an acknowledged attempt (`delivered` set, `lastError` cleared). */
  onDelivered(record: R): void;
  /** After a refused or failed attempt (`lastError` set), before the retry is planned. */
  onFailed(record: R): void;
}

/**
 * POSTs each push to the receiver and retries it with capped exponential backoff
 * (min(retryMaxMs, retryBaseMs · 2^(attempt−1))) until it is acknowledged or `maxAttempts` is reached.
 * Headers and body are made per attempt (timestamps and signatures change). Own timer loop (not a backoff
 * library) so that close() can cancel pending retries at once. A sandbox's dispatcher extends it with the
 * provider's push shape, signature and acknowledgement rule.
 */
export class RetryingDelivery<R extends DeliveryRecord> {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inFlight = new Set<Promise<void>>();
  private closed = false;

  constructor(private readonly policy: RetryingDeliverySettings<R>) {}

  /** Sends `record` now (when a URL is configured) and retries it as needed. */
  deliver(record: R, makeRequest: () => { headers: Record<string, string>; body: string }): void {
    if (this.policy.url) this.attempt(record, makeRequest);
  }

  /** Stops retries (pending ones are abandoned) and waits for requests already on the wire. */
  async close(): Promise<void> {
    this.closed = true;
    this.cancelPending();
    await Promise.allSettled([...this.inFlight]);
  }

  /** Forgets pending retries without closing (admin reset). */
  cancelPending(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private attempt(
    record: R,
    makeRequest: () => { headers: Record<string, string>; body: string },
  ): void {
    if (this.closed) return;
    const p = this.send(record, makeRequest).finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
  }

  private async send(
    record: R,
    makeRequest: () => { headers: Record<string, string>; body: string },
  ): Promise<void> {
    const { url, requestTimeoutMs } = this.policy;
    record.attempts += 1;
    const { headers, body } = makeRequest();
    try {
      const res = await request(url as string, {
        method: 'POST',
        headers,
        body,
        headersTimeout: requestTimeoutMs,
        bodyTimeout: requestTimeoutMs,
      });
      const refusal = this.policy.refusal(res.statusCode, await res.body.text());
      if (refusal === null) {
        record.delivered = true;
        record.lastError = null;
        this.policy.onDelivered(record);
        return;
      }
      record.lastError = refusal;
    } catch (err) {
      record.lastError = (err as Error).message;
    }
    this.policy.onFailed(record);
    if (this.closed || record.attempts >= this.policy.maxAttempts) return;
    const { retryBaseMs, retryMaxMs } = this.policy;
    const delay = Math.min(retryMaxMs, retryBaseMs * 2 ** (record.attempts - 1));
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.attempt(record, makeRequest);
    }, delay);
    this.timers.add(timer);
  }
}
