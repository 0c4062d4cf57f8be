import { checkEndpoint, httpBaseUrl, positive, requireText, resolveRetrySettings } from './index';

class TestConfigError extends Error {
  constructor(
    readonly field: string,
    readonly rule: string,
  ) {
    super(`${field}: ${rule}`);
  }
}
const fail = (field: string, rule: string) => new TestConfigError(field, rule);

describe('provider client config checks', () => {
  it('positive: the value or the fallback when it is a finite number > 0', () => {
    expect(positive(undefined, 'x', 3, fail)).toBe(3);
    expect(positive(0.5, 'x', 3, fail)).toBe(0.5);
    for (const bad of [0, -1, NaN, Infinity, '2' as unknown as number]) {
      expect(() => positive(bad, 'x', 3, fail)).toThrow(
        new TestConfigError('x', 'must be a positive number'),
      );
    }
  });

  it('httpBaseUrl: absolute http(s) only, trailing slashes trimmed', () => {
    expect(httpBaseUrl('https://p.example/api//', fail)).toBe('https://p.example/api');
    expect(httpBaseUrl('http://127.0.0.1:4010', fail)).toBe('http://127.0.0.1:4010');
    for (const bad of ['', '/api', 'ftp://x', 'nope']) {
      expect(() => httpBaseUrl(bad, fail)).toThrow(
        new TestConfigError('baseUrl', 'must be an absolute http(s) URL'),
      );
    }
  });

  it('requireText: a string with a non-blank character', () => {
    expect(() => requireText('k', 'apiKey', fail)).not.toThrow();
    for (const bad of ['', '  ', undefined, 7]) {
      expect(() => requireText(bad, 'apiKey', fail)).toThrow(
        new TestConfigError('apiKey', 'is required'),
      );
    }
  });

  it('checkEndpoint: baseUrl first, then each credential in the order given', () => {
    expect(checkEndpoint('http://x/api/', { clientId: 'c', apiKey: 'k' }, fail)).toBe(
      'http://x/api',
    );
    expect(() => checkEndpoint('nope', { apiKey: '' }, fail)).toThrow(/^baseUrl: /);
    expect(() => checkEndpoint('http://x', { clientId: '', apiKey: '' }, fail)).toThrow(
      new TestConfigError('clientId', 'is required'),
    );
    expect(() => checkEndpoint('http://x', { clientId: 'c', apiKey: ' ' }, fail)).toThrow(
      new TestConfigError('apiKey', 'is required'),
    );
  });

  it('resolveRetrySettings: defaults, given values, integer maxAttempts, and the check order', () => {
    expect(resolveRetrySettings({}, 16, fail)).toEqual({
      requestTimeoutMs: 10_000,
      retryDeadlineMs: 30_000,
      maxAttempts: 5,
      backoffStartMs: 200,
      backoffMaxMs: 5_000,
      connections: 16,
    });
    const given = {
      requestTimeoutMs: 1,
      retryDeadlineMs: 2,
      maxAttempts: 3,
      backoffStartMs: 4,
      backoffMaxMs: 5,
      connections: 6,
    };
    expect(resolveRetrySettings(given, 16, fail)).toEqual(given);
    expect(() => resolveRetrySettings({ maxAttempts: 2.5 }, 16, fail)).toThrow(
      new TestConfigError('maxAttempts', 'must be an integer'),
    );
    const order: string[] = [];
    let settings: Record<string, number> = Object.fromEntries(
      Object.keys(given).map((k) => [k, 0]),
    );
    for (let i = 0; i < 6; i++) {
      try {
        resolveRetrySettings(settings, 16, fail);
      } catch (err) {
        order.push((err as TestConfigError).field);
        settings = { ...settings, [(err as TestConfigError).field]: 1 };
      }
    }
    expect(order).toEqual([
      'maxAttempts',
      'requestTimeoutMs',
      'retryDeadlineMs',
      'backoffStartMs',
      'backoffMaxMs',
      'connections',
    ]);
    expect(() => resolveRetrySettings(settings, 16, fail)).not.toThrow();
  });
});
