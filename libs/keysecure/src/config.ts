import {
  checkEndpoint,
  resolveRetrySettings,
  type ProviderRetrySettings,
} from '@issuing-bridge/provider-client-config';
import { AesKeyDerivation, KeySecureCipher, rawUtf8AesKey } from './crypto';
import { KeySecureConfigError } from './errors';
import { classifyKeySecureCode, KeySecureCodeClassifier } from './retry-policy';
import { KeySecureLanguage, TokenData } from './types';

/** One HTTP attempt, reported to `onCall` (metrics) after it finished. */
export interface KeySecureCallEvent {
  /** Logical endpoint name, e.g. 'card.apply' (stable, low cardinality). */
  endpoint: string;
  method: 'GET' | 'POST';
  /** 1-based HTTP attempt number within the operation (token refetch and re-stamp resends count). */
  attempt: number;
  durationMs: number;
  /** Envelope code (0 = success) or client code 'NETWORK' | 'TIMEOUT' | 'HTTP_<status>' | 'BAD_RESPONSE'. */
  code: number | string;
  httpStatus?: number;
}

/** pino-compatible subset: object first, message second. Receives redacted data only. */
export interface KeySecureLogger {
  debug(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/**
 * With the retry settings every provider client has (ProviderRetrySettings; defaults: requestTimeoutMs 10 000,
 * retryDeadlineMs 30 000, maxAttempts 5, backoffStartMs 200, backoffMaxMs 5 000).
 */
export interface KeySecureConfig extends ProviderRetrySettings {
  /** e.g. http://127.0.0.1:4010 or https://sandbox-openplatform.keysecure.io; `/open-api/v1` is added by the client. */
  baseUrl: string;
  apiKey: string;
  /** AES key (CVV/PIN/private info) and callback HMAC key. Never logged or sent. */
  apiSecret: string;
  /** Timezone header on list calls. Default 'UTC+8' (the provider's default). */
  timezone?: string;
  language?: KeySecureLanguage;
  /** Refresh the token this long before `expired_time`, ms. Default 60 000. */
  tokenRefreshMarginMs?: number;
  /** Max keep-alive connections to the provider. Default 64, the services' in-flight limit: fewer caps throughput at one provider round trip per connection. */
  connections?: number;
  /** Clock for the Timestamp header and token expiry, Unix ms. Default Date.now. */
  now?: () => number;
  /** Assumption hook: AES key from apiSecret. Default raw UTF-8 bytes. */
  aesKeyDerivation?: AesKeyDerivation;
  /** Assumption hook: what to do with each envelope code. Default classifyKeySecureCode. */
  classifyCode?: KeySecureCodeClassifier;
  /** Assumption hook: absolute token expiry (Unix ms) from the Get Token data. Default `expired_time`. */
  tokenExpiry?: (data: TokenData) => number;
  onCall?: (event: KeySecureCallEvent) => void;
  logger?: KeySecureLogger;
}

export type ResolvedKeySecureConfig = Required<
  Omit<KeySecureConfig, 'language' | 'onCall' | 'logger'>
> &
  Pick<KeySecureConfig, 'language' | 'onCall' | 'logger'>;

/** Default assumption: `expired_time` is an absolute Unix-ms expiry, as the docs say. */
export const absoluteExpiredTime = (data: TokenData): number => data.expired_time;

const fail = (field: string, rule: string) => new KeySecureConfigError(field, rule);

/** Validates and fills defaults. Throws KeySecureConfigError naming the setting (never its value for secrets). */
export function resolveKeySecureConfig(config: KeySecureConfig): ResolvedKeySecureConfig {
  const baseUrl = checkEndpoint(config.baseUrl, { apiKey: config.apiKey }, fail);
  const aesKeyDerivation = config.aesKeyDerivation ?? rawUtf8AesKey;
  // Fails fast on a secret that cannot be an AES key.
  new KeySecureCipher(config.apiSecret, aesKeyDerivation);
  return {
    baseUrl,
    apiKey: config.apiKey,
    apiSecret: config.apiSecret,
    timezone: config.timezone ?? 'UTC+8',
    language: config.language,
    ...resolveRetrySettings(config, 64, fail),
    tokenRefreshMarginMs: config.tokenRefreshMarginMs ?? 60_000,
    now: config.now ?? Date.now,
    aesKeyDerivation,
    classifyCode: config.classifyCode ?? classifyKeySecureCode,
    tokenExpiry: config.tokenExpiry ?? absoluteExpiredTime,
    onCall: config.onCall,
    logger: config.logger,
  };
}
