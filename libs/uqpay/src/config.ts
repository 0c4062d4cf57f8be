import {
  checkEndpoint,
  resolveRetrySettings,
  type ProviderRetrySettings,
} from '@issuing-bridge/provider-client-config';
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

/**
 * With the retry settings every provider client has (ProviderRetrySettings; defaults: requestTimeoutMs 10 000,
 * retryDeadlineMs 30 000, maxAttempts 5, backoffStartMs 200, backoffMaxMs 5 000).
 */
export interface UqpayConfig extends ProviderRetrySettings {
  /** Base including `/api`: https://api-sandbox.uqpaytech.com/api, or http://127.0.0.1:4020/api (sandbox). */
  baseUrl: string;
  /** x-client-id of the token request. */
  clientId: string;
  /** x-api-key of the token request. Never logged. */
  apiKey: string;
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

const fail = (field: string, rule: string) => new UqpayConfigError(field, rule);

/** Validates and fills defaults. Throws UqpayConfigError naming the setting (never a secret's value). */
export function resolveUqpayConfig(config: UqpayConfig): ResolvedUqpayConfig {
  const credentials = { clientId: config.clientId, apiKey: config.apiKey };
  const baseUrl = checkEndpoint(config.baseUrl, credentials, fail);
  return {
    baseUrl,
    clientId: config.clientId,
    apiKey: config.apiKey,
    ...resolveRetrySettings(config, 16, fail),
    tokenRefreshMarginMs: config.tokenRefreshMarginMs ?? 60_000,
    now: config.now ?? Date.now,
    onCall: config.onCall,
    logger: config.logger,
  };
}
