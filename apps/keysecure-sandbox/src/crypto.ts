import { createCipheriv, createDecipheriv, createHmac } from 'node:crypto';

/**
 * AES/ECB/PKCS5Padding with the raw UTF-8 bytes of apiSecret as key (the likeliest reading of KeySecure's
 * MerchantEncryptUtil; see api-notes §4.1). The key length picks AES-128/192/256.
 */
function aesAlgorithm(key: Buffer): string {
  if (![16, 24, 32].includes(key.length)) {
    throw new Error(`apiSecret must be 16, 24 or 32 bytes of UTF-8 for AES, got ${key.length}`);
  }
  return `aes-${key.length * 8}-ecb`;
}

export function aesEncrypt(plaintext: string, apiSecret: string): string {
  const key = Buffer.from(apiSecret, 'utf8');
  const cipher = createCipheriv(aesAlgorithm(key), key, null);
  return Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]).toString('base64');
}

/** Returns undefined when the text is not Base64 ciphertext under this key (bad padding, wrong length). */
export function aesDecrypt(ciphertextBase64: string, apiSecret: string): string | undefined {
  const key = Buffer.from(apiSecret, 'utf8');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(ciphertextBase64)) return undefined;
  try {
    const decipher = createDecipheriv(aesAlgorithm(key), key, null);
    const data = Buffer.from(ciphertextBase64, 'base64');
    return Buffer.concat([decipher.update(data), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}

/**
 * SignUtils V1 (Code Utilities 10.1): HMAC-SHA256, lowercase hex, over `&`-joined `key=value` pairs sorted by
 * key (TreeMap order = UTF-16 code unit order = JS default sort) of appId, timestamp and every non-null
 * top-level data field. Strings go in as they are, anything else as compact JSON.
 */
export function signCallback(
  data: Record<string, unknown>,
  appId: string,
  timestamp: string,
  apiSecret: string,
): string {
  const entries: Array<[string, string]> = [
    ['appId', appId],
    ['timestamp', timestamp],
  ];
  for (const [key, value] of Object.entries(data)) {
    if (value === null || value === undefined) continue;
    entries.push([key, typeof value === 'string' ? value : JSON.stringify(value)]);
  }
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const payload = entries.map(([k, v]) => `${k}=${v}`).join('&');
  return createHmac('sha256', Buffer.from(apiSecret, 'utf8')).update(payload, 'utf8').digest('hex');
}
