/**
 * Redaction for anything the client logs or reports: sensitive keys are replaced wherever they occur
 * in a value (any depth, case-insensitive, with or without separators), and known secret strings are
 * scrubbed from free text.
 */
export const REDACTED = '[REDACTED]';

/** Normalised key names (lowercase, no '_' or '-') whose values never leave the client in clear. */
export const SENSITIVE_KEYS: ReadonlySet<string> = new Set([
  'cvv',
  'pin',
  'pan',
  'expyear',
  'expmonth',
  'accesstoken',
  'clientaccesstoken',
  'apisecret',
  'secret',
  'password',
  'authorization',
  'signature',
  'sumsubsharetoken',
  'token',
]);

function normalise(key: string): string {
  return key.toLowerCase().replace(/[-_]/g, '');
}

export function isSensitiveKey(key: string): boolean {
  return SENSITIVE_KEYS.has(normalise(key));
}

/** Deep copy of `value` with every sensitive key's value replaced by '[REDACTED]'. */
export function redactSensitive<T>(value: T): T {
  return redactValue(value, new WeakSet()) as T;
}

function redactValue(value: unknown, seen: WeakSet<object>): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[Circular]';
  seen.add(value);
  if (Array.isArray(value)) return value.map((item) => redactValue(item, seen));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = isSensitiveKey(key) ? REDACTED : redactValue(item, seen);
  }
  return out;
}

/** Replaces each occurrence of the given secret strings (ignoring very short ones) in free text. */
export function scrubSecrets(text: string, secrets: ReadonlyArray<string | undefined>): string {
  let out = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 4) out = out.split(secret).join(REDACTED);
  }
  return out;
}
