/**
 * Config checks shared by the provider client libs (libs/keysecure, libs/uqpay). Plain TypeScript without
 * dependencies; every failure is made by the calling client (`fail`), so each keeps its own error class.
 */

/** Makes the client's own config error naming the setting (never its value). */
export type ConfigFailure = (field: string, rule: string) => Error;

/** Retry, timeout and connection settings every provider client has (the same defaults but `connections`). */
export interface ProviderRetrySettings {
  /** Timeout of one HTTP attempt, ms. Default 10 000. */
  requestTimeoutMs?: number;
  /** Overall deadline of one operation including retries and backoff, ms. Default 30 000. */
  retryDeadlineMs?: number;
  /** Maximum attempts per operation (backoff loop). Default 5. */
  maxAttempts?: number;
  /** First backoff delay (before full jitter), ms. Default 200. */
  backoffStartMs?: number;
  /** Cap of one backoff delay, ms. Default 5 000. */
  backoffMaxMs?: number;
  /** Max keep-alive connections to the provider. Default: the client's. */
  connections?: number;
}

/** `value` (`fallback` when undefined) if it is a finite number > 0, else fails: 'must be a positive number'. */
export function positive(
  value: number | undefined,
  field: string,
  fallback: number,
  fail: ConfigFailure,
): number {
  const v = value ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
    throw fail(field, 'must be a positive number');
  }
  return v;
}

/** The absolute http(s) URL `baseUrl` without trailing slashes. */
export function httpBaseUrl(baseUrl: string, fail: ConfigFailure): string {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw fail('baseUrl', 'must be an absolute http(s) URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw fail('baseUrl', 'must be an absolute http(s) URL');
  }
  return baseUrl.replace(/\/+$/, '');
}

/** Fails with 'is required' unless `value` is a string with a non-blank character. */
export function requireText(value: unknown, field: string, fail: ConfigFailure): void {
  if (typeof value !== 'string' || value.trim() === '') throw fail(field, 'is required');
}

/**
 * Checks `baseUrl` (httpBaseUrl), then each credential in the order given (requireText, named by its key);
 * returns the base URL without trailing slashes.
 */
export function checkEndpoint(
  baseUrl: string,
  credentials: Record<string, unknown>,
  fail: ConfigFailure,
): string {
  const url = httpBaseUrl(baseUrl, fail);
  for (const [field, value] of Object.entries(credentials)) requireText(value, field, fail);
  return url;
}

/**
 * Checks and fills the retry settings, in this order: maxAttempts (also an integer), requestTimeoutMs,
 * retryDeadlineMs, backoffStartMs, backoffMaxMs, connections (default `defaultConnections`).
 */
export function resolveRetrySettings(
  config: ProviderRetrySettings,
  defaultConnections: number,
  fail: ConfigFailure,
): Required<ProviderRetrySettings> {
  const maxAttempts = positive(config.maxAttempts, 'maxAttempts', 5, fail);
  if (!Number.isInteger(maxAttempts)) throw fail('maxAttempts', 'must be an integer');
  return {
    requestTimeoutMs: positive(config.requestTimeoutMs, 'requestTimeoutMs', 10_000, fail),
    retryDeadlineMs: positive(config.retryDeadlineMs, 'retryDeadlineMs', 30_000, fail),
    maxAttempts,
    backoffStartMs: positive(config.backoffStartMs, 'backoffStartMs', 200, fail),
    backoffMaxMs: positive(config.backoffMaxMs, 'backoffMaxMs', 5_000, fail),
    connections: positive(config.connections, 'connections', defaultConnections, fail),
  };
}
