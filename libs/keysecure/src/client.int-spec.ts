/**
 * KeySecureClient against the real KeySecure sandbox (apps/keysecure-sandbox), started in-process on a
 * free port. No HTTP mocks: faults are injected through the sandbox's fault injector, and call counts
 * are read from its state.
 */
import {
  startKeySecureSandbox,
  type RunningSandbox,
} from '../../../apps/keysecure-sandbox/src/sandbox';
import { KeySecureClient } from './client';
import { KeySecureCallEvent, KeySecureConfig } from './config';
import { KeySecureApiError, KeySecureError, KeySecureValidationError } from './errors';

const API_KEY = 'ks_int_api_key';
const API_SECRET = 'int-secret-0123456789abcdef-0123'; // 32 bytes → AES-256

let sandbox: RunningSandbox;
const clients: KeySecureClient[] = [];

beforeAll(async () => {
  sandbox = await startKeySecureSandbox({
    port: 0,
    apiKey: API_KEY,
    apiSecret: API_SECRET,
    kycStepDelayMs: 20,
    cardIssueDelayMs: 20,
  });
});
afterAll(async () => {
  await sandbox?.close();
});
beforeEach(() => sandbox.reset());
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

function client(
  overrides: Partial<KeySecureConfig> = {},
  events: KeySecureCallEvent[] = [],
): KeySecureClient {
  const c = new KeySecureClient({
    baseUrl: sandbox.url,
    apiKey: API_KEY,
    apiSecret: API_SECRET,
    backoffStartMs: 10,
    backoffMaxMs: 50,
    requestTimeoutMs: 2_000,
    retryDeadlineMs: 10_000,
    onCall: (e) => events.push(e),
    ...overrides,
  });
  clients.push(c);
  return c;
}

const calls = (endpoint: string) => sandbox.snapshot().calls[endpoint] ?? 0;
const codesOf = (events: KeySecureCallEvent[], endpoint: string) =>
  events.filter((e) => e.endpoint === endpoint).map((e) => e.code);

async function eventually<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 5_000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > until)
      throw new Error(`condition not met within ${timeoutMs} ms: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A list window around "now" in the provider's default timezone (UTC+8). */
function windowAroundNow(): { start_time: string; end_time: string } {
  const day = (offsetDays: number) =>
    new Date(Date.now() + 8 * 3_600_000 + offsetDays * 86_400_000).toISOString().slice(0, 10);
  return { start_time: day(-1), end_time: day(1) };
}

async function approvedCardholder(c: KeySecureClient, uniqueNo: string): Promise<string> {
  const { cardholder_no } = await c.applyCardholder({
    cardholder_unique_no: uniqueNo,
    sumsub_share_token: 'share-ok',
  });
  await eventually(
    () => c.getCardholder(cardholder_no),
    (h) => h.status === 'Approved',
  );
  return cardholder_no;
}

const physicalAddress = {
  first_name: 'Ada',
  last_name: 'Lovelace',
  phone_code: '86',
  phone: '13800000000',
  postal_code: '518000',
  country: 'CN',
  state: 'Guangdong',
  city: 'Shenzhen',
  address_line1: '1 Example Road',
  address_line2: '',
};

describe('token handling', () => {
  it('50 parallel calls on a cold client make exactly one Get Token request', async () => {
    const c = client();
    const results = await Promise.all(
      Array.from({ length: 50 }, () => c.listCardPackages({ size: 10 })),
    );
    expect(results.every((list) => list.length > 0)).toBe(true);
    expect(calls('token')).toBe(1);
    expect(calls('card.package.list')).toBe(50);
    await c.listCardBins();
    expect(calls('token')).toBe(1);
  });

  it('after the provider drops all tokens (1007), 50 parallel calls refetch exactly once and succeed', async () => {
    const events: KeySecureCallEvent[] = [];
    const c = client({}, events);
    await c.listCardPackages();
    sandbox.expireTokens();
    await Promise.all(Array.from({ length: 50 }, () => c.listCardPackages()));
    expect(calls('token')).toBe(2);
    expect(
      codesOf(events, 'card.package_list').filter((code) => code === 1007).length,
    ).toBeGreaterThan(0);
    expect(calls('card.package.list')).toBe(
      1 + 50 + codesOf(events, 'card.package_list').filter((x) => x === 1007).length,
    );
  });

  it('refreshes shortly before expired_time', async () => {
    const shortLived = await startKeySecureSandbox({
      port: 0,
      apiKey: API_KEY,
      apiSecret: API_SECRET,
      tokenTtlMs: 1_000,
    });
    try {
      const c = client({ baseUrl: shortLived.url, tokenRefreshMarginMs: 700 });
      await c.listCardBins();
      await c.listCardBins();
      expect(shortLived.snapshot().calls.token).toBe(1);
      await new Promise((r) => setTimeout(r, 400));
      await c.listCardBins();
      expect(shortLived.snapshot().calls.token).toBe(2);
      expect(shortLived.snapshot().calls['card.support.bins']).toBe(3);
    } finally {
      await shortLived.close();
    }
  });

  it('getToken returns an absolute expiry in ms', async () => {
    const token = await client().getToken();
    expect(token.access_token).toEqual(expect.any(String));
    expect(token.expired_time).toBeGreaterThan(Date.now());
  });
});

describe('retries', () => {
  it('retries injected HTTP 5xx with backoff and succeeds', async () => {
    const events: KeySecureCallEvent[] = [];
    const c = client({}, events);
    await c.getToken();
    sandbox.addFault({ kind: 'http_error', status: 503, endpoint: 'card.package.list', count: 2 });
    await expect(c.listCardPackages()).resolves.toHaveLength(2);
    expect(calls('card.package.list')).toBe(3);
    expect(codesOf(events, 'card.package_list')).toEqual(['HTTP_503', 'HTTP_503', 0]);
    expect(events.filter((e) => e.endpoint === 'card.package_list').map((e) => e.attempt)).toEqual([
      1, 2, 3,
    ]);
  });

  it.each([1009, 1001])('retries envelope code %i', async (code) => {
    const events: KeySecureCallEvent[] = [];
    const c = client({}, events);
    sandbox.addFault({ kind: 'error_code', code, endpoint: 'card.support.bins', count: 2 });
    await expect(c.listCardBins()).resolves.toHaveLength(2);
    expect(codesOf(events, 'card.support_bins')).toEqual([code, code, 0]);
  });

  it('retries a timed-out attempt and a dropped connection', async () => {
    const events: KeySecureCallEvent[] = [];
    const c = client({ requestTimeoutMs: 200 }, events);
    sandbox.addFault({ kind: 'timeout', endpoint: 'card.support.bins', count: 1 });
    await expect(c.listCardBins()).resolves.toHaveLength(2);
    sandbox.addFault({ kind: 'drop', endpoint: 'card.support.bins', count: 1 });
    await expect(c.listCardBins()).resolves.toHaveLength(2);
    expect(codesOf(events, 'card.support_bins')).toEqual(['TIMEOUT', 0, 'NETWORK', 0]);
  });

  it('re-stamps once on 1005', async () => {
    const events: KeySecureCallEvent[] = [];
    const c = client({}, events);
    sandbox.addFault({ kind: 'error_code', code: 1005, endpoint: 'card.support.bins', count: 1 });
    await expect(c.listCardBins()).resolves.toHaveLength(2);
    expect(codesOf(events, 'card.support_bins')).toEqual([1005, 0]);
  });

  it.each([1004, 1012, 4016, 2008])('does not retry final code %i', async (code) => {
    const events: KeySecureCallEvent[] = [];
    const c = client({}, events);
    await c.getToken();
    sandbox.addFault({
      kind: 'error_code',
      code,
      msg: 'card_bin_no invalid',
      endpoint: 'card.support.bins',
      count: 3,
    });
    const error = await c.listCardBins().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KeySecureApiError);
    expect(error).toMatchObject({
      code,
      msg: 'card_bin_no invalid',
      retryable: false,
      endpoint: 'card.support_bins',
    });
    expect(calls('card.support.bins')).toBe(1);
  });

  it('stops after maxAttempts with the last retryable error', async () => {
    const c = client({ maxAttempts: 3 });
    sandbox.addFault({ kind: 'http_error', status: 502, endpoint: 'card.support.bins' });
    await expect(c.listCardBins()).rejects.toMatchObject({
      code: 'HTTP_502',
      httpStatus: 502,
      retryable: true,
    });
    expect(calls('card.support.bins')).toBe(3);
  });

  it('respects the overall deadline when every attempt times out', async () => {
    const c = client({
      requestTimeoutMs: 150,
      retryDeadlineMs: 500,
      maxAttempts: 50,
      backoffMaxMs: 100,
    });
    await c.getToken();
    sandbox.addFault({ kind: 'timeout', endpoint: 'card.support.bins' });
    const started = Date.now();
    const error = await c.listCardBins().catch((e: unknown) => e);
    const elapsed = Date.now() - started;
    expect(error).toBeInstanceOf(KeySecureError);
    expect((error as KeySecureError).code).toBe('DEADLINE_EXCEEDED');
    expect(elapsed).toBeGreaterThanOrEqual(450);
    // Without the deadline, 50 attempts of 150 ms would run for 7 s or more; the margin absorbs a loaded machine.
    expect(elapsed).toBeLessThan(3_000);
    expect(calls('card.support.bins')).toBeGreaterThanOrEqual(2);
  });
});

describe('documented examples against the sandbox', () => {
  it('cardholder apply (example body) → cardholder_no; list and info show it; KYC reaches Approved', async () => {
    const c = client();
    const applied = await c.applyCardholder({
      cardholder_unique_no: 'MERCHANT_USER_001',
      sumsub_share_token: 'your_sumsub_share_token',
    });
    expect(applied).toEqual({
      cardholder_no: expect.any(String),
      cardholder_unique_no: 'MERCHANT_USER_001',
    });
    const rows = await c.listCardholders({
      ...windowAroundNow(),
      cardholder_unique_no: 'MERCHANT_USER_001',
      page: 0,
      size: 10,
    });
    expect(rows).toEqual([expect.objectContaining({ cardholder_no: applied.cardholder_no })]);
    const info = await eventually(
      () => c.getCardholder(applied.cardholder_no),
      (h) => h.status === 'Approved',
    );
    expect(info.cardholder_unique_no).toBe('MERCHANT_USER_001');
    // A duplicate merchant-side number is a final provider error, sent exactly once.
    const before = calls('cardholder.apply');
    await expect(
      c.applyCardholder({ cardholder_unique_no: 'MERCHANT_USER_001', sumsub_share_token: 'x' }),
    ).rejects.toMatchObject({ retryable: false });
    expect(calls('cardholder.apply')).toBe(before + 1);
  });

  it('virtual card apply (example: Virtual, phone_code 86, country CN) → Activated; list and detail agree', async () => {
    const c = client();
    const holder = await approvedCardholder(c, 'int-virtual-holder');
    const applied = await c.applyCard({
      cardholder_no: holder,
      package_no: 'PKG_VIRTUAL_001',
      card_type: 'Virtual',
      card_unique_no: 'int-virtual-card-1',
      address_info: physicalAddress,
    });
    expect(applied).toEqual({ card_no: expect.any(String), card_unique_no: 'int-virtual-card-1' });
    const detail = await eventually(
      () => c.getCard(applied.card_no),
      (card) => card.status === 'Activated',
    );
    expect(detail).toMatchObject({
      card_type: 'Virtual',
      cardholder_no: holder,
      organization: 'Visa',
    });
    expect(detail.card_last_no).toMatch(/^\d{4}$/);
    const rows = await c.listCards({
      ...windowAroundNow(),
      card_unique_no: 'int-virtual-card-1',
      page: 0,
      size: 10,
    });
    expect(rows).toEqual([
      expect.objectContaining({ card_no: applied.card_no, status: 'Activated' }),
    ]);
  });

  it('physical card: apply → ToActivate → active with encrypted CVV → PIN set → freeze', async () => {
    const c = client();
    const holder = await approvedCardholder(c, 'int-physical-holder');
    const { card_no } = await c.applyCard({
      cardholder_no: holder,
      card_bin_no: 'BIN_MC_001',
      card_type: 'Physical',
      card_unique_no: 'int-physical-card-1',
      address_info: physicalAddress,
    });
    const card = await eventually(
      () => c.getCard(card_no),
      (x) => x.status === 'ToActivate',
    );
    // Validation stops a weak PIN before the provider sees it.
    await expect(
      c.setCardPin({ card_no, cardholder_no: holder, pin: '123456' }),
    ).rejects.toBeInstanceOf(KeySecureValidationError);
    expect(calls('card.pin.set')).toBe(0);

    await expect(
      c.activateCard({
        cardholder_no: holder,
        card_no,
        cvv: '123',
        card_last_no: card.card_last_no,
      }),
    ).resolves.toEqual({ result: true });
    expect((await c.getCard(card_no)).status).toBe('Activated');
    await expect(c.setCardPin({ card_no, cardholder_no: holder, pin: '135790' })).resolves.toEqual({
      result: true,
    });
    await expect(c.updateCardStatus({ card_no, status: 'Frozen' })).resolves.toEqual({
      result: true,
    });
    expect((await c.getCard(card_no)).status).toBe('Frozen');

    // Nothing in the sandbox's record holds the plaintext CVV or PIN.
    const stored = JSON.stringify(sandbox.snapshot());
    expect(stored).not.toContain('135790');
  });

  it('a PIN on a virtual card gets the documented 4017, final', async () => {
    const c = client();
    const holder = await approvedCardholder(c, 'int-pin-virtual-holder');
    const { card_no } = await c.applyCard({
      cardholder_no: holder,
      package_no: 'PKG_VIRTUAL_001',
      card_type: 'Virtual',
      card_unique_no: 'int-pin-virtual-card',
    });
    await eventually(
      () => c.getCard(card_no),
      (x) => x.status === 'Activated',
    );
    await expect(
      c.setCardPin({ card_no, cardholder_no: holder, pin: '135790' }),
    ).rejects.toMatchObject({
      code: 4017,
      retryable: false,
    });
  });

  it('package list (credit) and BIN list (authorization) return the seeded rows', async () => {
    const c = client();
    const packages = await c.listCardPackages({ type: 'Physical' });
    expect(packages.map((p) => p.package_no)).toEqual(['PKG_PHYSICAL_001']);
    const bins = await c.listCardBins({ card_bin_no: 'BIN_MC_001' });
    expect(bins).toEqual([
      expect.objectContaining({ card_bin_no: 'BIN_MC_001', support_physical: true }),
    ]);
  });
});

describe('logging hook', () => {
  it('logs every attempt with redacted bodies: no CVV/PIN (plain or encrypted), token or secret', async () => {
    const lines: string[] = [];
    const logger = {
      debug: (obj: object, msg: string) => lines.push(`${msg} ${JSON.stringify(obj)}`),
      warn: (obj: object, msg: string) => lines.push(`${msg} ${JSON.stringify(obj)}`),
    };
    const c = client({ logger });
    const holder = await approvedCardholder(c, 'int-log-holder');
    const { card_no } = await c.applyCard({
      cardholder_no: holder,
      card_bin_no: 'BIN_MC_001',
      card_type: 'Physical',
      card_unique_no: 'int-log-card',
      address_info: physicalAddress,
    });
    const card = await eventually(
      () => c.getCard(card_no),
      (x) => x.status === 'ToActivate',
    );
    await c.activateCard({
      cardholder_no: holder,
      card_no,
      cvv: '487',
      card_last_no: card.card_last_no,
    });
    await c.setCardPin({ card_no, cardholder_no: holder, pin: '246802' });
    const token = (await c.getToken()).access_token;

    const text = lines.join('\n');
    expect(lines.some((l) => l.includes('"endpoint":"card.active"'))).toBe(true);
    expect(lines.some((l) => l.includes('"endpoint":"card.pin_set"'))).toBe(true);
    expect(text).toContain('"cvv":"[REDACTED]"');
    expect(text).toContain('"pin":"[REDACTED]"');
    expect(text).toContain('"sumsub_share_token":"[REDACTED]"');
    for (const secret of [
      '487',
      '246802',
      c.encryptField('487'),
      c.encryptField('246802'),
      API_SECRET,
      token,
    ]) {
      expect(text).not.toContain(`"${secret}"`);
      expect(text).not.toContain(secret.length > 6 ? secret : `:"${secret}`);
    }
  });
});

describe('request headers (as recorded by the sandbox, secrets masked)', () => {
  const lastHeaders = (endpoint: string) => sandbox.snapshot().lastHeaders[endpoint];

  it('list calls send the configured Timezone and Language, a raw Access-Token and the injected clock as 13-digit Timestamp', async () => {
    const fixedNow = Date.now() - 5_000; // within the sandbox's ±60 s window, distinct from its own clock
    const c = client({ timezone: 'UTC+5', language: 'zh_CN', now: () => fixedNow });
    const holder = await c.applyCardholder({
      cardholder_unique_no: 'int-headers-holder',
      sumsub_share_token: 'share-ok',
    });
    await c.listCardholders({ ...windowAroundNow(), page: 0, size: 10 });
    await c.listCards({ ...windowAroundNow(), page: 0, size: 10 });

    for (const endpoint of ['cardholder.list', 'card.list']) {
      const recorded = lastHeaders(endpoint);
      expect(recorded).toMatchObject({
        apiKeyPresent: true,
        accessTokenPresent: true,
        accessTokenHasBearerPrefix: false,
        headers: { timezone: 'UTC+5', language: 'zh_CN', timestamp: String(fixedNow) },
      });
      expect(recorded.headers.timestamp).toMatch(/^\d{13}$/);
    }
    expect(holder.cardholder_no).toEqual(expect.any(String));
    // Get Token carries Api-Key + Timestamp only.
    expect(lastHeaders('token')).toMatchObject({ apiKeyPresent: true, accessTokenPresent: false });
  });

  it('without a configured language no Language header is sent; Timezone defaults to UTC+8', async () => {
    const c = client();
    await c.listCards({ ...windowAroundNow(), page: 0, size: 10 });
    const recorded = lastHeaders('card.list');
    expect(recorded.headers.language).toBeUndefined();
    expect(recorded.headers.timezone).toBe('UTC+8');
    expect(recorded.accessTokenHasBearerPrefix).toBe(false);
  });
});

describe('1006 through the fault API', () => {
  it('Access-Token required (1006) → drops the token, fetches a new one once and succeeds', async () => {
    const events: KeySecureCallEvent[] = [];
    const c = client({}, events);
    await c.listCardPackages(); // caches a token (getToken() itself bypasses the cache)
    expect(calls('token')).toBe(1);
    const res = await fetch(`${sandbox.url}/__admin/faults`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ kind: 'error_code', code: 1006, endpoint: 'card.list', count: 1 }),
    });
    expect(res.status).toBe(200);

    await expect(c.listCards({ ...windowAroundNow(), page: 0, size: 10 })).resolves.toEqual(
      expect.any(Array),
    );
    expect(codesOf(events, 'card.list')).toEqual([1006, 0]);
    expect(calls('token')).toBe(2);
    expect(calls('card.list')).toBe(2);
    expect(lastHeaders()).toMatchObject({ accessTokenPresent: true, accessTokenHasBearerPrefix: false });

    function lastHeaders() {
      return sandbox.snapshot().lastHeaders['card.list'];
    }
  });
});
