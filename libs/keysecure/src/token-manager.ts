/**
 * Access tokens: one cached token per Api-Key, reused until `refreshMarginMs` before its expiry,
 * refreshed single-flight (concurrent callers share one Get Token request).
 */
export interface TokenGrant {
  token: string;
  /** Absolute expiry, Unix ms (clock of `now`). */
  expiresAt: number;
}

export interface KeySecureTokenManagerOptions {
  /** Clock, Unix ms. */
  now?: () => number;
  /** Refresh this long before expiry so a token never expires in flight. Default 60 s. */
  refreshMarginMs?: number;
}

export class KeySecureTokenManager {
  private readonly cached = new Map<string, TokenGrant>();
  private readonly inflight = new Map<string, Promise<TokenGrant>>();
  private readonly now: () => number;
  private readonly refreshMarginMs: number;

  constructor(options: KeySecureTokenManagerOptions = {}) {
    this.now = options.now ?? Date.now;
    this.refreshMarginMs = options.refreshMarginMs ?? 60_000;
  }

  /** A valid token for `apiKey`, calling `fetchToken` only when none is cached or it is about to expire. */
  async getToken(apiKey: string, fetchToken: () => Promise<TokenGrant>): Promise<string> {
    const current = this.cached.get(apiKey);
    if (current && current.expiresAt - this.refreshMarginMs > this.now()) return current.token;
    let pending = this.inflight.get(apiKey);
    if (!pending) {
      pending = fetchToken()
        .then((grant) => {
          this.cached.set(apiKey, grant);
          return grant;
        })
        .finally(() => this.inflight.delete(apiKey));
      this.inflight.set(apiKey, pending);
    }
    return (await pending).token;
  }

  /**
   * Drops the cached token after the provider rejected it (1006/1007). Only drops it if it is still
   * the one that was rejected, so a burst of rejections triggers a single refetch.
   */
  invalidate(apiKey: string, rejectedToken: string): void {
    if (this.cached.get(apiKey)?.token === rejectedToken) this.cached.delete(apiKey);
  }

  /** Forget everything (tests, credential rotation). */
  clear(): void {
    this.cached.clear();
  }
}
