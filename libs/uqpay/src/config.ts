import { UqpayConfigError } from './errors';

/** One HTTP attempt, reported to `onCall` (metrics) after it finished. */
export interface UqpayCallEvent {
  /** Logical endpoint name, e.g. 'card.activate' (stable, low cardinality). */
  endpoint: string;
  method: 'GET' | 'POST';
  /** 1-based HTTP attempt within the operation (a token refetch resend counts). */
  attempt: number;
  durationMs: number;
  /** HTTP status, absent when none arrived (network error, timeout). */
  status?: number;
  /** 'OK', the provider error code (e.g. 'card_not_found') or 'NETWORK' | 'TIMEOUT' | 'HTTP_<status>'. */
  code: string;
}

/** pino-compatible subset: object first, message second. Receives redacted data only. */
export interface UqpayLogger {
  debug(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface UqpayConfig {
  /** Base including `/api`: https://api-sandbox.uqpaytech.com/api, or http://127.0.0.1:4020/api (sandbox). */
  baseUrl: string;
  /** x-client-id of the token request. */
  clientId: string;
  /** x-api-key of the token request. Never logged. */
  apiKey: string;
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
  /** Refresh the token this long before `expired_at`, ms. Default 60 000. */
  tokenRefreshMarginMs?: number;
  /** Max keep-alive connections. Default 16. */
  connections?: number;
  /** Clock for token expiry, Unix ms. Default Date.now. */
  now?: () => number;
  onCall?: (event: UqpayCallEvent) => void;
  logger?: UqpayLogger;
}

export type ResolvedUqpayConfig = Required<Omit<UqpayConfig, 'onCall' | 'logger'>> &
  Pick<UqpayConfig, 'onCall' | 'logger'>;

function positive(value: number | undefined, field: string, fallback: number): number {
  const v = value ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
    throw new UqpayConfigError(field, 'must be a positive number');
  }
  return v;
}

/** Validates and fills defaults. Throws UqpayConfigError naming the setting (never a secret's value). */
export function resolveUqpayConfig(config: UqpayConfig): ResolvedUqpayConfig {
  let url: URL;
  try {
    url = new URL(config.baseUrl);
  } catch {
    throw new UqpayConfigError('baseUrl', 'must be an absolute http(s) URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UqpayConfigError('baseUrl', 'must be an absolute http(s) URL');
  }
  if (typeof config.clientId !== 'string' || config.clientId.trim() === '') {
    throw new UqpayConfigError('clientId', 'is required');
  }
  if (typeof config.apiKey !== 'string' || config.apiKey.trim() === '') {
    throw new UqpayConfigError('apiKey', 'is required');
  }
  const maxAttempts = positive(config.maxAttempts, 'maxAttempts', 5);
  if (!Number.isInteger(maxAttempts))
    throw new UqpayConfigError('maxAttempts', 'must be an integer');
  return {
    baseUrl: config.baseUrl.replace(/\/+$/, ''),
    clientId: config.clientId,
    apiKey: config.apiKey,
    requestTimeoutMs: positive(config.requestTimeoutMs, 'requestTimeoutMs', 10_000),
    retryDeadlineMs: positive(config.retryDeadlineMs, 'retryDeadlineMs', 30_000),
    maxAttempts,
    backoffStartMs: positive(config.backoffStartMs, 'backoffStartMs', 200),
    backoffMaxMs: positive(config.backoffMaxMs, 'backoffMaxMs', 5_000),
    tokenRefreshMarginMs: config.tokenRefreshMarginMs ?? 60_000,
    connections: positive(config.connections, 'connections', 16),
    now: config.now ?? Date.now,
    onCall: config.onCall,
    logger: config.logger,
  };
}
