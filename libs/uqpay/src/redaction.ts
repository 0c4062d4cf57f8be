/**
 * Redaction for anything the client logs or reports: sensitive keys (pin, tokens, api key, secrets) are
 * replaced at any depth, and known secret strings are scrubbed from free text.
 */
export const REDACTED = '[REDACTED]';

/** Normalised key names (lowercase, no '_' or '-') whose values never leave the client in clear. */
export const UQPAY_SENSITIVE_KEYS: ReadonlySet<string> = new Set([
  'pin',
  'oldpin',
  'cvv',
  'pan',
  'cardnumber',
  'activationcode',
  'authtoken',
  'xauthtoken',
  'token',
  'apikey',
  'xapikey',
  'secret',
  'webhooksecret',
  'authorization',
  'xwksignature',
  'signature',
]);

const normalise = (key: string) => key.toLowerCase().replace(/[-_]/g, '');

export function isUqpaySensitiveKey(key: string): boolean {
  return UQPAY_SENSITIVE_KEYS.has(normalise(key));
}

/** Deep copy of `value` with every sensitive key's value replaced by '[REDACTED]'. */
export function redactUqpay<T>(value: T): T {
  return redact(value, new WeakSet()) as T;
}

function redact(value: unknown, seen: WeakSet<object>): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[Circular]';
  seen.add(value);
  if (Array.isArray(value)) return value.map((v) => redact(v, seen));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value))
    out[k] = isUqpaySensitiveKey(k) ? REDACTED : redact(v, seen);
  return out;
}

/** Replaces each occurrence of the given secret strings (ignoring very short ones) in free text. */
export function scrubUqpaySecrets(
  text: string,
  secrets: ReadonlyArray<string | undefined>,
): string {
  let out = text;
  for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join(REDACTED);
  return out;
}
