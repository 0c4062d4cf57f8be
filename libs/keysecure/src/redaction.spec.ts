import { isSensitiveKey, REDACTED, redactSensitive, scrubSecrets } from './redaction';

describe('redaction', () => {
  it('replaces sensitive values at any depth and keeps the rest', () => {
    const input = {
      card_no: 'C1',
      cvv: '123',
      nested: {
        pin: '135790',
        list: [{ 'Access-Token': 'tok-abc', pan: '4111111111111111', keep: 1 }],
      },
      apiSecret: '0123456789abcdef',
      sumsub_share_token: 'kyc-token-xyz',
      exp_year: '2028',
      exp_month: '12',
    };
    const out = redactSensitive(input);
    expect(out).toEqual({
      card_no: 'C1',
      cvv: REDACTED,
      nested: { pin: REDACTED, list: [{ 'Access-Token': REDACTED, pan: REDACTED, keep: 1 }] },
      apiSecret: REDACTED,
      sumsub_share_token: REDACTED,
      exp_year: REDACTED,
      exp_month: REDACTED,
    });
    const text = JSON.stringify(out);
    for (const secret of [
      '123"',
      '135790',
      'tok-abc',
      '4111111111111111',
      '0123456789abcdef',
      'kyc-token-xyz',
    ]) {
      expect(text).not.toContain(secret);
    }
    expect(input.cvv).toBe('123');
  });

  it('matches keys regardless of case and separators', () => {
    for (const key of [
      'access_token',
      'accessToken',
      'ACCESS-TOKEN',
      'api_secret',
      'client_access_token',
      'CVV',
    ]) {
      expect(isSensitiveKey(key)).toBe(true);
    }
    expect(isSensitiveKey('card_no')).toBe(false);
    expect(isSensitiveKey('cardholder_no')).toBe(false);
  });

  it('survives cycles and primitives', () => {
    const a: Record<string, unknown> = { pin: '1' };
    a.self = a;
    expect(redactSensitive(a)).toEqual({ pin: REDACTED, self: '[Circular]' });
    expect(redactSensitive('plain')).toBe('plain');
    expect(redactSensitive(null)).toBeNull();
  });

  it('scrubs known secret values out of free text', () => {
    expect(scrubSecrets('bad key 0123456789abcdef here', ['0123456789abcdef', undefined])).toBe(
      `bad key ${REDACTED} here`,
    );
  });
});
