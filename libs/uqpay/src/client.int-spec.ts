/**
 * UqpayClient against the real UQPAY sandbox (apps/uqpay-sandbox), started in-process on a free port.
 * No HTTP mocks: faults are injected through the sandbox, and what reached it is read from its state.
 */
import { performance } from 'node:perf_hooks';
import {
  startUqpaySandbox,
  type RunningUqpaySandbox,
} from '../../../apps/uqpay-sandbox/src/sandbox';
import { UqpayClient } from './client';
import { UqpayCallEvent, UqpayConfig } from './config';
import {
  UqpayAuthError,
  UqpayCardError,
  UqpayIdempotencyError,
  UqpayTimeoutError,
  UqpayValidationError,
} from './errors';
import { uqpayIdempotencyKey } from './idempotency';

const CLIENT_ID = 'int_client';
const API_KEY = 'int_api_key_0123456789';

let sandbox: RunningUqpaySandbox;
const clients: UqpayClient[] = [];
let opSeq = 0;
/** A fresh operation id per use (stands in for a Kafka command id). */
const opId = () => `00000000-0000-4000-8000-${String(++opSeq).padStart(12, '0')}-${process.pid}`;

beforeAll(async () => {
  sandbox = await startUqpaySandbox({
    clientId: CLIENT_ID,
    apiKey: API_KEY,
    statusChangeDelayMs: 10,
  });
});
afterAll(async () => {
  await sandbox?.close();
});
beforeEach(() => sandbox.reset());
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

function client(overrides: Partial<UqpayConfig> = {}, events: UqpayCallEvent[] = []): UqpayClient {
  const c = new UqpayClient({
    baseUrl: sandbox.apiBaseUrl,
    clientId: CLIENT_ID,
    apiKey: API_KEY,
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

const snapshot = () => sandbox.snapshot();
const requestsTo = (endpoint: string) => snapshot().requests.filter((r) => r.endpoint === endpoint);

function physicalCard() {
  const card = sandbox.createCard({ form_factor: 'PHYSICAL' });
  return { card_id: card.card_id, activation_code: card.activation_code, pin: '246810' };
}

describe('access token', () => {
  it('50 parallel calls on a cold client fetch one token (single-flight)', async () => {
    const c = client();
    const card = sandbox.createCard();
    const results = await Promise.all(Array.from({ length: 50 }, () => c.getCard(card.card_id)));
    expect(results.every((r) => r.card_id === card.card_id)).toBe(true);
    expect(snapshot().tokensIssued).toBe(1);
    expect(snapshot().calls.token).toBe(1);
    expect(snapshot().calls['card.retrieve']).toBe(50);
  });

  it('refetches once after 401 "token expired" and resends immediately', async () => {
    const events: UqpayCallEvent[] = [];
    const c = client({}, events);
    const card = sandbox.createCard();
    await c.getCard(card.card_id);
    sandbox.expireTokens();
    await expect(c.getCard(card.card_id)).resolves.toMatchObject({ card_id: card.card_id });
    expect(snapshot().tokensIssued).toBe(2);
    expect(events.map((e) => `${e.endpoint}:${e.status}`)).toEqual([
      'token:200',
      'card.retrieve:200',
      'card.retrieve:401',
      'token:200',
      'card.retrieve:200',
    ]);
  });

  it('refetches only once: a second 401 is a final UqpayAuthError, not retried', async () => {
    const c = client();
    const card = sandbox.createCard();
    sandbox.addFault({
      kind: 'error',
      endpoint: 'card.retrieve',
      count: 5,
      error: { status: 401, message: 'token expired' },
    });
    const err = await c.getCard(card.card_id).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UqpayAuthError);
    expect(snapshot().calls['card.retrieve']).toBe(2);
    expect(snapshot().calls.token).toBe(2);
  });

  it('wrong credentials → UqpayAuthError without retries, and the api key is not in the message', async () => {
    const c = client({ apiKey: 'wrong_api_key_987654' });
    const err = (await c.getCard(sandbox.createCard().card_id).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(UqpayAuthError);
    expect(err.message).not.toContain('wrong_api_key_987654');
    expect(snapshot().calls.token).toBe(1);
  });
});

describe('activateCard idempotency', () => {
  it('a redelivered command (same operation id) replays the same key: one activation at the sandbox', async () => {
    const card = physicalCard();
    const op = opId();
    const first = await client().activateCard(card, { operationId: op });
    // Redelivery after a restart: a new client instance, same command id.
    const second = await client().activateCard(card, { operationId: op });
    expect(first).toEqual({ request_status: 'SUCCESS' });
    expect(second).toEqual({ request_status: 'SUCCESS' });
    const s = snapshot();
    expect(s.activations[card.card_id]).toBe(1);
    const keys = requestsTo('card.activate').map((r) => r.idempotencyKey);
    expect(keys).toEqual([
      uqpayIdempotencyKey(op, 'card.activate'),
      uqpayIdempotencyKey(op, 'card.activate'),
    ]);
    expect(requestsTo('card.activate')[1].replay).toBe(true);
  });

  it('a new operation id on an already active card is a final card_error', async () => {
    const card = physicalCard();
    await client().activateCard(card, { operationId: opId() });
    const err = (await client()
      .activateCard(card, { operationId: opId() })
      .catch((e: unknown) => e)) as UqpayCardError;
    expect(err).toBeInstanceOf(UqpayCardError);
    expect(err.code).toBe('invalid_card_status');
    expect(err.retryable).toBe(false);
  });

  it('the same operation id with a different body is an UqpayIdempotencyError', async () => {
    const card = physicalCard();
    const op = opId();
    await client().activateCard(card, { operationId: op });
    const err = await client()
      .activateCard({ ...card, pin: '135790' }, { operationId: op })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UqpayIdempotencyError);
    expect((err as Error).message).not.toContain('135790');
  });
});

describe('retries', () => {
  it('retries injected 5xx with the same key and activates once', async () => {
    const events: UqpayCallEvent[] = [];
    const card = physicalCard();
    const op = opId();
    sandbox.addFault({ kind: 'http_error', status: 503, endpoint: 'card.activate', count: 2 });
    await expect(client({}, events).activateCard(card, { operationId: op })).resolves.toEqual({
      request_status: 'SUCCESS',
    });
    const reqs = requestsTo('card.activate');
    expect(reqs.map((r) => r.status)).toEqual([503, 503, 200]);
    expect(new Set(reqs.map((r) => r.idempotencyKey))).toEqual(
      new Set([uqpayIdempotencyKey(op, 'card.activate')]),
    );
    expect(snapshot().activations[card.card_id]).toBe(1);
    expect(events.filter((e) => e.endpoint === 'card.activate').map((e) => e.attempt)).toEqual([
      2, 3, 4,
    ]);
  });

  it('a timeout after UQPAY acted is retried with the same key and replayed: still one activation', async () => {
    const card = physicalCard();
    const op = opId();
    sandbox.addFault({ kind: 'timeout', endpoint: 'card.activate', phase: 'after', count: 1 });
    const res = await client({ requestTimeoutMs: 300 }).activateCard(card, { operationId: op });
    expect(res).toEqual({ request_status: 'SUCCESS' });
    const reqs = requestsTo('card.activate');
    expect(reqs.map((r) => [r.status, r.replay ?? false])).toEqual([
      [0, false],
      [200, true],
    ]);
    expect(reqs[0].idempotencyKey).toBe(reqs[1].idempotencyKey);
    expect(snapshot().activations[card.card_id]).toBe(1);
  });

  it('retries dropped connections and "request is processing" with the same key', async () => {
    const card = physicalCard();
    const op = opId();
    sandbox.addFault({ kind: 'drop', endpoint: 'card.activate', count: 1 });
    sandbox.addFault({
      kind: 'error',
      endpoint: 'card.activate',
      count: 1,
      error: { status: 400, code: 200, message: 'request is processing' },
    });
    await client().activateCard(card, { operationId: op });
    const reqs = requestsTo('card.activate');
    expect(reqs.map((r) => r.status)).toEqual([0, 400, 200]);
    expect(new Set(reqs.map((r) => r.idempotencyKey)).size).toBe(1);
    expect(snapshot().activations[card.card_id]).toBe(1);
  });

  it('final errors are not retried: wrong activation code → one call', async () => {
    const card = physicalCard();
    const err = (await client()
      .activateCard({ ...card, activation_code: '00000000-wrong' }, { operationId: opId() })
      .catch((e: unknown) => e)) as UqpayCardError;
    expect(err).toBeInstanceOf(UqpayCardError);
    expect(err.code).toBe('invalid_activation_code');
    expect(err.idempotencyKey).toMatch(/^[0-9a-f-]{36}$/);
    expect(snapshot().calls['card.activate']).toBe(1);
  });

  it('invalid input never reaches UQPAY', async () => {
    const card = physicalCard();
    const err = (await client()
      .activateCard({ ...card, pin: '12345' }, { operationId: opId() })
      .catch((e: unknown) => e)) as UqpayValidationError;
    expect(err).toBeInstanceOf(UqpayValidationError);
    expect([err.field, err.rule]).toEqual(['pin', 'must be exactly 6 digits']);
    expect(snapshot().calls['card.activate']).toBeUndefined();
  });

  it('respects the operation deadline while UQPAY never answers', async () => {
    const card = sandbox.createCard();
    sandbox.addFault({ kind: 'timeout', endpoint: 'card.retrieve' });
    const started = performance.now();
    const err = (await client({ requestTimeoutMs: 200, retryDeadlineMs: 700, maxAttempts: 50 })
      .getCard(card.card_id)
      .catch((e: unknown) => e)) as UqpayTimeoutError;
    const elapsed = performance.now() - started;
    expect(err).toBeInstanceOf(UqpayTimeoutError);
    expect(err.code).toBe('DEADLINE_EXCEEDED');
    expect(elapsed).toBeGreaterThanOrEqual(650);
    // Without the deadline, 50 attempts of 200 ms would run for 10 s or more; the margin absorbs a loaded machine.
    expect(elapsed).toBeLessThan(4_000);
    expect(snapshot().calls['card.retrieve']).toBeGreaterThanOrEqual(2);
  });
});

describe('updateCardStatus and getCard', () => {
  it('freezes an active card: PENDING order, then FROZEN on retrieve', async () => {
    const card = physicalCard();
    const c = client();
    await c.activateCard(card, { operationId: opId() });
    const order = await c.updateCardStatus(
      { card_id: card.card_id, card_status: 'FROZEN', update_reason: 'user' },
      { operationId: opId() },
    );
    expect(order).toMatchObject({ card_id: card.card_id, order_status: 'PENDING' });
    const until = Date.now() + 3_000;
    let status = '';
    while (Date.now() < until && status !== 'FROZEN') {
      status = (await c.getCard(card.card_id)).card_status;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(status).toBe('FROZEN');
    expect(requestsTo('card.status.update')[0].idempotencyKey).not.toBe(
      requestsTo('card.activate')[0].idempotencyKey,
    );
  });
});

describe('secrets', () => {
  it('never logs the PIN, token, api key or activation code; onCall gets endpoint, status, code, duration, attempt', async () => {
    const lines: string[] = [];
    const logger = {
      debug: (o: object, m: string) => lines.push(JSON.stringify(o) + m),
      warn: (o: object, m: string) => lines.push(JSON.stringify(o) + m),
    };
    const events: UqpayCallEvent[] = [];
    const card = physicalCard();
    const c = client({ logger }, events);
    await c.activateCard({ ...card, pin: '975310' }, { operationId: opId() });
    await c
      .activateCard({ ...card, pin: '975310' }, { operationId: opId() })
      .catch(() => undefined);
    const text = lines.join('\n');
    expect(text).toContain('card.activate');
    for (const secret of ['975310', API_KEY, card.activation_code])
      expect(text).not.toContain(secret);
    expect(text).not.toMatch(/eyJ/); // no JWT
    const e = events.find((x) => x.endpoint === 'card.activate')!;
    expect(e).toMatchObject({
      method: 'POST',
      status: 200,
      code: 'OK',
      attempt: expect.any(Number),
    });
    expect(e.durationMs).toBeGreaterThanOrEqual(0);
    expect(events.find((x) => x.endpoint === 'card.activate' && x.status === 400)?.code).toBe(
      'invalid_card_status',
    );
  });
});
