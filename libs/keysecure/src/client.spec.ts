import { KeySecureClient } from './client';
import { KeySecureCallEvent } from './config';
import { KeySecureConfigError, KeySecureValidationError } from './errors';

// Nothing listens on port 9 of loopback; these tests prove validation happens before any send.
const config = { baseUrl: 'http://127.0.0.1:9', apiKey: 'k', apiSecret: '0123456789abcdef' };

describe('KeySecureClient (no network)', () => {
  let events: KeySecureCallEvent[];
  let client: KeySecureClient;
  beforeEach(() => {
    events = [];
    client = new KeySecureClient({ ...config, onCall: (e) => events.push(e) });
  });
  afterEach(() => client.close());

  it.each([
    [
      'activateCard',
      (c: KeySecureClient) =>
        c.activateCard({ cardholder_no: 'U', card_no: 'C', cvv: '12', card_last_no: '1234' }),
      'cvv',
    ],
    [
      'setCardPin',
      (c: KeySecureClient) => c.setCardPin({ cardholder_no: 'U', card_no: 'C', pin: '111111' }),
      'pin',
    ],
    [
      'applyCard',
      (c: KeySecureClient) =>
        c.applyCard({
          cardholder_no: 'U',
          card_unique_no: 'u',
          card_type: 'Physical',
          package_no: 'P',
        }),
      'address_info',
    ],
    [
      'listCards',
      (c: KeySecureClient) => c.listCards({ start_time: '2026-01-01', end_time: '2026-06-01' }),
      'end_time',
    ],
    ['getCard', (c: KeySecureClient) => c.getCard(''), 'card_no'],
  ])('%s rejects before sending', async (_name, call, field) => {
    await expect(call(client)).rejects.toMatchObject({
      constructor: KeySecureValidationError,
      field,
    });
    expect(events).toHaveLength(0);
  });

  it('rejects a bad configuration at construction, naming the setting', () => {
    expect(() => new KeySecureClient({ ...config, apiSecret: 'too-short' })).toThrow(
      KeySecureConfigError,
    );
    expect(() => new KeySecureClient({ ...config, baseUrl: 'ftp://x' })).toThrow(/baseUrl/);
    expect(() => new KeySecureClient({ ...config, apiKey: '' })).toThrow(/apiKey/);
    expect(() => new KeySecureClient({ ...config, requestTimeoutMs: 0 })).toThrow(
      /requestTimeoutMs/,
    );
  });

  it('reports a refused connection as a retryable network error per attempt, within the deadline', async () => {
    const c = new KeySecureClient({
      ...config,
      maxAttempts: 3,
      backoffStartMs: 1,
      onCall: (e) => events.push(e),
    });
    try {
      await expect(c.getToken()).rejects.toMatchObject({
        code: 'NETWORK',
        retryable: true,
        endpoint: 'merchant.token',
      });
      expect(events.map((e) => [e.attempt, e.code])).toEqual([
        [1, 'NETWORK'],
        [2, 'NETWORK'],
        [3, 'NETWORK'],
      ]);
    } finally {
      await c.close();
    }
  });
});
