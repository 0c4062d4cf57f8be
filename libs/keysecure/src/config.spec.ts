import { absoluteExpiredTime, resolveKeySecureConfig, type KeySecureConfig } from './config';
import { rawUtf8AesKey } from './crypto';
import { KeySecureConfigError } from './errors';
import { classifyKeySecureCode } from './retry-policy';

const base: KeySecureConfig = {
  baseUrl: 'http://127.0.0.1:4010',
  apiKey: 'ks_key',
  apiSecret: 'ks_sandbox_secret_0123456789abcd',
};

/** The setting and text of the KeySecureConfigError the config is refused with. */
function refusal(overrides: Partial<KeySecureConfig>): string {
  try {
    resolveKeySecureConfig({ ...base, ...overrides });
  } catch (err) {
    expect(err).toBeInstanceOf(KeySecureConfigError);
    const e = err as KeySecureConfigError;
    expect(e.msg.startsWith(`${e.field}: `)).toBe(true);
    return e.msg;
  }
  throw new Error('expected a KeySecureConfigError');
}

describe('resolveKeySecureConfig', () => {
  it('fills the KeySecure defaults (the shared retry defaults are checked in provider-client-config)', () => {
    const now = () => 1;
    const resolved = resolveKeySecureConfig({ ...base, baseUrl: 'https://ks.example/x//', now });
    expect(resolved).toMatchObject({
      baseUrl: 'https://ks.example/x',
      apiKey: 'ks_key',
      apiSecret: base.apiSecret,
      timezone: 'UTC+8',
      maxAttempts: 5,
      tokenRefreshMarginMs: 60_000,
      connections: 64,
      now,
      aesKeyDerivation: rawUtf8AesKey,
      classifyCode: classifyKeySecureCode,
      tokenExpiry: absoluteExpiredTime,
    });
    expect(Object.keys(resolved)).toHaveLength(18);
  });

  it('refuses each bad setting with a KeySecureConfigError, checking baseUrl, apiKey, apiSecret, then retries', () => {
    expect(refusal({ baseUrl: 'ftp://x', apiKey: '' })).toBe(
      'baseUrl: must be an absolute http(s) URL',
    );
    expect(refusal({ apiKey: ' ', apiSecret: '' })).toBe('apiKey: is required');
    expect(refusal({ apiSecret: '', maxAttempts: 0 })).toBe('apiSecret: is required');
    expect(refusal({ apiSecret: 'short' })).toBe(
      'apiSecret: AES key must be 16, 24 or 32 bytes, got 5',
    );
    expect(refusal({ maxAttempts: 2.5 })).toBe('maxAttempts: must be an integer');
    expect(refusal({ backoffMaxMs: 0, connections: 0 })).toBe(
      'backoffMaxMs: must be a positive number',
    );
    expect(refusal({ connections: -1 })).toBe('connections: must be a positive number');
  });
});
