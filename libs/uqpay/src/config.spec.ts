import { resolveUqpayConfig, type UqpayConfig } from './config';
import { UqpayConfigError } from './errors';

const base: UqpayConfig = { baseUrl: 'http://127.0.0.1:4020/api', clientId: 'c', apiKey: 'k' };

describe('resolveUqpayConfig', () => {
  it('trims trailing slashes of baseUrl and keeps the credentials', () => {
    expect(resolveUqpayConfig({ ...base, baseUrl: 'https://u.example/api//' })).toMatchObject({
      baseUrl: 'https://u.example/api',
      clientId: 'c',
      apiKey: 'k',
    });
  });

  // The shared retry defaults (requestTimeoutMs …) are checked in libs/provider-client-config.
  it('has the UQPAY defaults: 16 connections, 60 s token refresh margin, Date.now', () => {
    const { connections, tokenRefreshMarginMs, now, maxAttempts } = resolveUqpayConfig(base);
    expect({ connections, tokenRefreshMarginMs, now, maxAttempts }).toEqual({
      connections: 16,
      tokenRefreshMarginMs: 60_000,
      now: Date.now,
      maxAttempts: 5,
    });
  });

  it.each<[Partial<UqpayConfig>, string, string]>([
    [{ baseUrl: 'file:///x', clientId: '' }, 'baseUrl', 'must be an absolute http(s) URL'],
    [{ clientId: '', apiKey: '' }, 'clientId', 'is required'],
    [{ apiKey: ' ', maxAttempts: 0 }, 'apiKey', 'is required'],
    [{ maxAttempts: 1.5 }, 'maxAttempts', 'must be an integer'],
    [{ connections: 0 }, 'connections', 'must be a positive number'],
  ])('refuses %j with an UqpayConfigError on %s (checked first)', (bad, field, rule) => {
    const refuse = () => resolveUqpayConfig({ ...base, ...bad });
    expect(refuse).toThrow(UqpayConfigError);
    expect(refuse).toThrow(
      expect.objectContaining({
        field,
        message: `UQPAY failed: [client_error/CONFIG] ${field}: ${rule}`,
      }),
    );
  });
});
