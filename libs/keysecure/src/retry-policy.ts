/**
 * What to do after one attempt failed. The one place where KeySecure codes are classified; the
 * provider's full code table is unknown, so the classifier is replaceable through the client config.
 */
import { KeySecureError } from './errors';

export type KeySecureFailureAction =
  /** Back off (exponential, full jitter) and try again while the deadline allows. */
  | 'retry'
  /** Drop the cached token, fetch a new one and resend once, immediately. */
  | 'refresh-token'
  /** Rebuild the Timestamp header and resend once, immediately. */
  | 'restamp'
  /** Give up and surface the error. */
  | 'final';

export type KeySecureCodeClassifier = (code: number) => KeySecureFailureAction;

export const RETRYABLE_CODES: ReadonlySet<number> = new Set([1001, 1009]);
export const TOKEN_CODES: ReadonlySet<number> = new Set([1006, 1007]);
export const TIMESTAMP_CODES: ReadonlySet<number> = new Set([1005]);

/** Default classification of envelope codes: 1001/1009 retry, 1006/1007 new token, 1005 re-stamp, rest final. */
export const classifyKeySecureCode: KeySecureCodeClassifier = (code) => {
  if (RETRYABLE_CODES.has(code)) return 'retry';
  if (TOKEN_CODES.has(code)) return 'refresh-token';
  if (TIMESTAMP_CODES.has(code)) return 'restamp';
  return 'final';
};

/** HTTP status without a usable envelope: 5xx and 429 are transient, anything else final. */
export function isRetryableHttpStatus(status: number): boolean {
  return status >= 500 || status === 429;
}

/** Whether the backoff loop may try again after this error (network, timeout, 5xx, 1001, 1009). */
export function shouldRetry(error: unknown): boolean {
  return error instanceof KeySecureError && error.retryable;
}
