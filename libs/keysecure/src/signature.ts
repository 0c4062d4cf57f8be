/**
 * KeySecure callback signature, SignUtils V1: HMAC-SHA256 (key = apiSecret UTF-8) in lowercase hex
 * over `k=v&k=v…` of appId, timestamp and every non-null top-level field of `data`, sorted by key.
 * Strings go in unchanged; other values as compact JSON with numbers exactly as received, which is
 * why verification works on the RAW body text (lossless-json keeps `100.50` as `100.50`).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import {
  isLosslessNumber,
  parse as parseLossless,
  stringify as stringifyLossless,
} from 'lossless-json';

export const SIGN_VERSION_V1 = 'V1';
export const DEFAULT_CALLBACK_TOLERANCE_MS = 60_000;

/**
 * How a non-string `data` value becomes text. UNKNOWN for nested objects at the provider (fastjson
 * key order); the default is compact JSON in received order with lossless numbers.
 */
export type SignedValueSerializer = (value: unknown) => string;

export const compactJsonInReceivedOrder: SignedValueSerializer = (value) =>
  stringifyLossless(value) ?? '';

export interface SigningInput {
  /** Callback body `data` object; values may be LosslessNumbers (from a raw-body parse) or plain JS values. */
  data: Record<string, unknown>;
  /** The `Timestamp` header value (ms as a string). */
  timestamp: string;
  /** Assumed to be the Api-Key. Left out of the signed text when undefined (SignUtils skips nulls). */
  appId?: string;
  serializeValue?: SignedValueSerializer;
}

/** The exact text that is HMAC-ed. Exported for tests and for diagnosing mismatches (contains no secret). */
export function keySecureSigningText(input: SigningInput): string {
  const serialize = input.serializeValue ?? compactJsonInReceivedOrder;
  const entries: Array<[string, string]> = [];
  if (input.appId !== undefined && input.appId !== null) entries.push(['appId', input.appId]);
  if (input.timestamp !== undefined && input.timestamp !== null)
    entries.push(['timestamp', String(input.timestamp)]);
  for (const [key, value] of Object.entries(input.data ?? {})) {
    if (value === null || value === undefined) continue;
    entries.push([key, typeof value === 'string' ? value : serialize(value)]);
  }
  // Default sort compares UTF-16 code units, the same order as Java String.compareTo / TreeMap.
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return entries.map(([k, v]) => `${k}=${v}`).join('&');
}

export interface SignCallbackInput extends SigningInput {
  apiSecret: string;
}

/** Lowercase hex HMAC-SHA256 of the signing text. Used by the sandbox and by tests. */
export function signKeySecureCallback(input: SignCallbackInput): string {
  return createHmac('sha256', Buffer.from(input.apiSecret, 'utf8'))
    .update(Buffer.from(keySecureSigningText(input), 'utf8'))
    .digest('hex');
}

export type CallbackHeaders = Record<string, string | string[] | undefined>;

export interface VerifyCallbackOptions {
  apiSecret: string;
  /** Assumed to be the Api-Key; see README. */
  appId?: string;
  /** Accepted |now − Timestamp|; not documented by the provider, 60 s by our choice. */
  toleranceMs?: number;
  /** Clock, Unix ms. */
  now?: () => number;
  serializeValue?: SignedValueSerializer;
}

export interface KeySecureCallbackBody {
  id: string;
  action: string;
  data: Record<string, unknown>;
}

export type VerifyCallbackResult =
  | { valid: true; timestamp: number; body: KeySecureCallbackBody }
  | { valid: false; reason: string };

function header(headers: CallbackHeaders, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === wanted) return Array.isArray(value) ? value[0] : value;
  }
  return undefined;
}

/**
 * Verifies a callback from its RAW body text and headers: Sign-Version V1 (default when absent),
 * Timestamp within the tolerance, constant-time signature comparison. Never throws on bad input.
 * `body` is parsed with JSON.parse (amount numbers become JS numbers; sign-exact text is not needed after).
 */
export function verifyKeySecureCallback(
  rawBody: string | Buffer,
  headers: CallbackHeaders,
  options: VerifyCallbackOptions,
): VerifyCallbackResult {
  const text = typeof rawBody === 'string' ? rawBody : rawBody.toString('utf8');
  const version = header(headers, 'sign-version') ?? SIGN_VERSION_V1;
  if (version !== SIGN_VERSION_V1)
    return { valid: false, reason: 'Sign-Version: unsupported (only V1)' };
  const signature = header(headers, 'signature');
  if (!signature) return { valid: false, reason: 'Signature: header is required' };
  const timestampText = header(headers, 'timestamp');
  if (!timestampText || !/^\d{1,16}$/.test(timestampText)) {
    return { valid: false, reason: 'Timestamp: header must be Unix ms digits' };
  }
  const timestamp = Number(timestampText);
  const now = (options.now ?? Date.now)();
  const tolerance = options.toleranceMs ?? DEFAULT_CALLBACK_TOLERANCE_MS;
  if (Math.abs(now - timestamp) > tolerance) {
    return { valid: false, reason: `Timestamp: outside the ${tolerance} ms window` };
  }
  let lossless: unknown;
  try {
    lossless = parseLossless(text);
  } catch {
    return { valid: false, reason: 'body: must be JSON' };
  }
  const data = (lossless as { data?: unknown } | null)?.data;
  if (data === null || typeof data !== 'object' || Array.isArray(data) || isLosslessNumber(data)) {
    return { valid: false, reason: 'data: must be an object' };
  }
  const expected = signKeySecureCallback({
    data: data as Record<string, unknown>,
    timestamp: timestampText,
    appId: options.appId,
    apiSecret: options.apiSecret,
    serializeValue: options.serializeValue,
  });
  const given = Buffer.from(signature.trim().toLowerCase(), 'utf8');
  const wanted = Buffer.from(expected, 'utf8');
  if (given.length !== wanted.length || !timingSafeEqual(given, wanted)) {
    return { valid: false, reason: 'Signature: does not match' };
  }
  return { valid: true, timestamp, body: JSON.parse(text) as KeySecureCallbackBody };
}
