/**
 * Access tokens: one cached token per client id, reused until `refreshMarginMs` before `expired_at`,
 * refreshed single-flight (concurrent callers share one POST /v1/connect/token). Single-owner design because
 * UQPAY's Card Issuance FAQ says a new token may invalidate earlier ones.
 */
export interface UqpayTokenGrant {
  token: string;
  /** Absolute expiry, Unix ms (clock of `now`). */
  expiresAt: number;
}

export interface UqpayTokenManagerOptions {
  /** Clock, Unix ms. */
  now?: () => number;
  /** Refresh this long before expiry so a token never expires in flight. Default 60 s (as the node/py SDKs). */
  refreshMarginMs?: number;
}

export class UqpayTokenManager {
  private readonly cached = new Map<string, UqpayTokenGrant>();
  private readonly inflight = new Map<string, Promise<UqpayTokenGrant>>();
  private readonly now: () => number;
  private readonly refreshMarginMs: number;

  constructor(options: UqpayTokenManagerOptions = {}) {
    this.now = options.now ?? Date.now;
    this.refreshMarginMs = options.refreshMarginMs ?? 60_000;
  }

  /** A valid token for `clientId`, calling `fetchToken` only when none is cached or it is about to expire. */
  async getToken(clientId: string, fetchToken: () => Promise<UqpayTokenGrant>): Promise<string> {
    const current = this.cached.get(clientId);
    if (current && current.expiresAt - this.refreshMarginMs > this.now()) return current.token;
    let pending = this.inflight.get(clientId);
    if (!pending) {
      pending = fetchToken()
        .then((grant) => {
          this.cached.set(clientId, grant);
          return grant;
        })
        .finally(() => this.inflight.delete(clientId));
      this.inflight.set(clientId, pending);
    }
    return (await pending).token;
  }

  /**
   * Drops the cached token after UQPAY rejected it (401 token expired). Only if it is still the rejected
   * one, so a burst of 401s on the same token causes one refetch.
   */
  invalidate(clientId: string, rejectedToken: string): void {
    if (this.cached.get(clientId)?.token === rejectedToken) this.cached.delete(clientId);
  }

  clear(): void {
    this.cached.clear();
  }
}
