/**
 * UQPAY sandbox rules over plain HTTP (undici), without libs/uqpay's client: tokens, idempotency replay and
 * conflicts, activation rules, admin API, faults, and signed webhooks retried until 2xx.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { request } from 'undici';
import { parseUqpayCardEvent, verifyUqpayWebhook } from '@issuing-bridge/uqpay';
import { startUqpaySandbox, type RunningUqpaySandbox } from './sandbox';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

let now = Date.now();
let sandbox: RunningUqpaySandbox;
let receiver: Server;
let received: Received[] = [];
/** Status the webhook receiver answers, per delivery, in order (then 200). */
let receiverPlan: number[] = [];

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.statusCode = receiverPlan.shift() ?? 200;
      res.end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const port = (receiver.address() as AddressInfo).port;
  sandbox = await startUqpaySandbox({
    webhookUrl: `http://127.0.0.1:${port}/callbacks/uqpay`,
    webhookRetryBaseMs: 20,
    webhookRetryMaxMs: 50,
    statusChangeDelayMs: 10,
    clock: () => now,
  });
});
afterAll(async () => {
  await sandbox?.close();
  await new Promise((r) => receiver?.close(r));
});
beforeEach(() => {
  now = Date.now();
  sandbox.reset();
  received = [];
  receiverPlan = [];
});

async function call(
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const res = await request(`${sandbox.url}${path}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.body.text();
  return {
    status: res.statusCode,
    headers: res.headers,
    json: text ? (JSON.parse(text) as Record<string, unknown>) : {},
  };
}

async function token(): Promise<string> {
  const res = await call('POST', '/api/v1/connect/token', undefined, {
    'x-client-id': sandbox.options.clientId,
    'x-api-key': sandbox.options.apiKey,
  });
  expect(res.status).toBe(200);
  return res.json.auth_token as string;
}

async function authed(method: 'GET' | 'POST', path: string, body?: unknown, key?: string) {
  const headers: Record<string, string> = { 'x-auth-token': `Bearer ${await token()}` };
  if (key) headers['x-idempotency-key'] = key;
  return call(method, path, body, headers);
}

async function until<T>(probe: () => T, done: (v: T) => boolean, ms = 3_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (done(v)) return v;
    if (Date.now() > end) throw new Error(`condition not met: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('token endpoint', () => {
  it('issues auth_token + expired_at (Unix seconds) for the right client id and api key only', async () => {
    const ok = await call('POST', '/api/v1/connect/token', undefined, {
      'x-client-id': sandbox.options.clientId,
      'x-api-key': sandbox.options.apiKey,
    });
    expect(ok.status).toBe(200);
    expect(ok.json.expired_at).toBe(Math.floor((now + 30 * 60_000) / 1000));
    const bad = await call('POST', '/api/v1/connect/token', undefined, {
      'x-client-id': 'x',
      'x-api-key': 'y',
    });
    expect(bad.status).toBe(401);
    expect(bad.json.type).toBe('unauthorized_error');
  });

  it('requires x-auth-token "Bearer …", rejects an expired token with 401 {error: "token expired"}', async () => {
    const card = sandbox.createCard();
    const t = await token();
    expect(
      (await call('GET', `/api/v1/issuing/cards/${card.card_id}`, undefined, { 'x-auth-token': t }))
        .status,
    ).toBe(401);
    expect(
      (
        await call('GET', `/api/v1/issuing/cards/${card.card_id}`, undefined, {
          'x-auth-token': `Bearer ${t}`,
        })
      ).status,
    ).toBe(200);
    now += 30 * 60_000;
    const expired = await call('GET', `/api/v1/issuing/cards/${card.card_id}`, undefined, {
      'x-auth-token': `Bearer ${t}`,
    });
    expect(expired).toMatchObject({ status: 401, json: { error: 'token expired' } });
  });

  it('a new token invalidates the previous one (single active token)', async () => {
    const card = sandbox.createCard();
    const first = await token();
    await token();
    const res = await call('GET', `/api/v1/issuing/cards/${card.card_id}`, undefined, {
      'x-auth-token': `Bearer ${first}`,
    });
    expect(res.status).toBe(401);
  });
});

describe('idempotency', () => {
  const activation = (card: { card_id: string; activation_code: string }) => ({
    card_id: card.card_id,
    activation_code: card.activation_code,
    pin: '123456',
  });

  it('mutations need a UUID x-idempotency-key', async () => {
    const card = sandbox.createCard();
    const missing = await authed('POST', '/api/v1/issuing/cards/activate', activation(card));
    expect(missing).toMatchObject({
      status: 400,
      json: { type: 'invalid_request_error', code: 'missing_idempotency_key' },
    });
    const bad = await authed(
      'POST',
      '/api/v1/issuing/cards/activate',
      activation(card),
      'not-a-uuid',
    );
    expect(bad.status).toBe(400);
    expect(sandbox.snapshot().activations[card.card_id]).toBeUndefined();
  });

  it('same key + same body → the stored response; different body → idempotency_error; after 24 h → processed again', async () => {
    const card = sandbox.createCard();
    const key = randomUUID();
    const first = await authed('POST', '/api/v1/issuing/cards/activate', activation(card), key);
    const replay = await authed('POST', '/api/v1/issuing/cards/activate', activation(card), key);
    expect(first).toMatchObject({ status: 200, json: { request_status: 'SUCCESS' } });
    expect(replay).toMatchObject({ status: 200, json: { request_status: 'SUCCESS' } });
    expect(replay.headers['x-idempotent-replay']).toBe('true');
    expect(sandbox.snapshot().activations[card.card_id]).toBe(1);

    const conflict = await authed(
      'POST',
      '/api/v1/issuing/cards/activate',
      { ...activation(card), pin: '654321' },
      key,
    );
    expect(conflict).toMatchObject({
      status: 400,
      json: { type: 'idempotency_error', code: 'idempotency_key_mismatch' },
    });

    now += 24 * 60 * 60 * 1000;
    const afterTtl = await authed('POST', '/api/v1/issuing/cards/activate', activation(card), key);
    expect(afterTtl).toMatchObject({
      status: 400,
      json: { type: 'card_error', code: 'invalid_card_status' },
    });
  });

  it('a final 4xx is replayed too, a 5xx is not stored', async () => {
    const card = sandbox.createCard();
    const key = randomUUID();
    const wrong = { ...activation(card), activation_code: 'nope' };
    expect((await authed('POST', '/api/v1/issuing/cards/activate', wrong, key)).json.code).toBe(
      'invalid_activation_code',
    );
    const again = await authed('POST', '/api/v1/issuing/cards/activate', wrong, key);
    expect(again.headers['x-idempotent-replay']).toBe('true');

    const key2 = randomUUID();
    sandbox.addFault({ kind: 'http_error', status: 500, endpoint: 'card.activate', count: 1 });
    expect(
      (await authed('POST', '/api/v1/issuing/cards/activate', activation(card), key2)).status,
    ).toBe(500);
    const retried = await authed('POST', '/api/v1/issuing/cards/activate', activation(card), key2);
    expect(retried.status).toBe(200);
    expect(retried.headers['x-idempotent-replay']).toBeUndefined();
  });

  it('a duplicate while the first is still processing → 400 "request is processing"', async () => {
    const card = sandbox.createCard();
    const key = randomUUID();
    sandbox.addFault({
      kind: 'latency',
      latencyMs: 300,
      endpoint: 'card.activate',
      phase: 'after',
      count: 1,
    });
    const t = await token();
    const send = () =>
      call('POST', '/api/v1/issuing/cards/activate', activation(card), {
        'x-auth-token': `Bearer ${t}`,
        'x-idempotency-key': key,
      });
    const firstP = send();
    await until(
      () => sandbox.snapshot().idempotencyKeys,
      (n) => n === 1,
    );
    const dup = await send();
    expect(dup).toMatchObject({ status: 400, json: { message: 'request is processing' } });
    expect((await firstP).status).toBe(200);
    expect(sandbox.snapshot().activations[card.card_id]).toBe(1);
  });
});

describe('activation rules', () => {
  it.each([
    [
      'unknown card',
      () => ({ card_id: randomUUID(), activation_code: '1', pin: '123456' }),
      'card_error',
      'card_not_found',
    ],
    [
      'virtual card',
      () => {
        const c = sandbox.createCard({ form_factor: 'VIRTUAL' });
        return { card_id: c.card_id, activation_code: c.activation_code, pin: '123456' };
      },
      'card_error',
      'card_not_physical',
    ],
    [
      'card not in PENDING',
      () => {
        const c = sandbox.createCard({ card_status: 'FROZEN' });
        return { card_id: c.card_id, activation_code: c.activation_code, pin: '123456' };
      },
      'card_error',
      'invalid_card_status',
    ],
    [
      'wrong activation code',
      () => ({ card_id: sandbox.createCard().card_id, activation_code: 'wrong', pin: '123456' }),
      'card_error',
      'invalid_activation_code',
    ],
    [
      '5-digit pin',
      () => {
        const c = sandbox.createCard();
        return { card_id: c.card_id, activation_code: c.activation_code, pin: '12345' };
      },
      'invalid_request_error',
      'invalid_parameter',
    ],
    [
      'negative no_pin_payment_amount',
      () => {
        const c = sandbox.createCard();
        return {
          card_id: c.card_id,
          activation_code: c.activation_code,
          pin: '123456',
          no_pin_payment_amount: -1,
        };
      },
      'invalid_request_error',
      'invalid_parameter',
    ],
  ])('%s is refused', async (_name, body, type, code) => {
    const res = await authed('POST', '/api/v1/issuing/cards/activate', body(), randomUUID());
    expect(res).toMatchObject({ status: 400, json: { type, code } });
    expect(Object.keys(sandbox.snapshot().activations)).toHaveLength(0);
  });

  it('activates a PENDING physical card; the PIN is not kept; retrieve shows ACTIVE', async () => {
    const c = sandbox.createCard();
    const res = await authed(
      'POST',
      '/api/v1/issuing/cards/activate',
      {
        card_id: c.card_id,
        activation_code: c.activation_code,
        pin: '864209',
        no_pin_payment_amount: 0,
      },
      randomUUID(),
    );
    expect(res).toMatchObject({ status: 200, json: { request_status: 'SUCCESS' } });
    const card = await authed('GET', `/api/v1/issuing/cards/${c.card_id}`);
    expect(card.json).toMatchObject({
      card_id: c.card_id,
      card_status: 'ACTIVE',
      form_factor: 'PHYSICAL',
      no_pin_payment_amount: 0,
    });
    expect(JSON.stringify(card.json) + JSON.stringify(sandbox.snapshot())).not.toContain('864209');
    expect(JSON.stringify(card.json)).not.toContain(c.activation_code);
  });
});

describe('admin API and faults', () => {
  it('POST /__admin/cards returns card_id + activation_code; /__admin/state counts calls and activations', async () => {
    const created = await call('POST', '/__admin/cards', { form_factor: 'PHYSICAL' });
    expect(created.status).toBe(200);
    expect(created.json).toMatchObject({ card_status: 'PENDING', form_factor: 'PHYSICAL' });
    expect(created.json.activation_code).toMatch(/^\d{8}$/);
    await authed(
      'POST',
      '/api/v1/issuing/cards/activate',
      {
        card_id: created.json.card_id,
        activation_code: created.json.activation_code,
        pin: '123456',
      },
      randomUUID(),
    );
    const state = await call('GET', '/__admin/state');
    expect(state.json).toMatchObject({
      activations: { [created.json.card_id as string]: 1 },
      calls: { token: 1, 'card.activate': 1 },
    });
    expect(JSON.stringify(state.json)).not.toContain(created.json.activation_code as string);
  });

  it('rejects a bad admin body naming the field', async () => {
    const res = await call('POST', '/__admin/cards', { form_factor: 'PLASTIC' });
    expect(res).toMatchObject({
      status: 400,
      json: { message: 'form_factor: must be PHYSICAL or VIRTUAL' },
    });
    const fault = await call('POST', '/__admin/faults', { kind: 'explode' });
    expect(fault.status).toBe(400);
    expect(fault.json.message).toMatch(/^kind: must be one of/);
  });

  it('a given error for the next N calls, then normal answers; DELETE clears faults', async () => {
    const card = sandbox.createCard();
    const added = await call('POST', '/__admin/faults', {
      kind: 'error',
      endpoint: 'card.retrieve',
      count: 2,
      error: { status: 400, type: 'card_error', code: 'card_not_found', message: 'injected' },
    });
    expect(added.status).toBe(200);
    const t = await token();
    const get = () =>
      call('GET', `/api/v1/issuing/cards/${card.card_id}`, undefined, {
        'x-auth-token': `Bearer ${t}`,
      });
    expect((await get()).json.code).toBe('card_not_found');
    expect((await get()).json.code).toBe('card_not_found');
    expect((await get()).status).toBe(200);
    await call('POST', '/__admin/faults', { kind: 'http_error', status: 502 });
    expect((await get()).status).toBe(502);
    await call('DELETE', '/__admin/faults');
    expect((await get()).status).toBe(200);
  });
});

describe('webhooks', () => {
  const sign = (body: string, ts: string) =>
    createHmac('sha512', sandbox.options.webhookSecret)
      .update(body + ts)
      .digest('hex');

  it('activation sends a signed card.activation.status, retried until 2xx with the same event_id', async () => {
    receiverPlan = [500, 503];
    const c = sandbox.createCard();
    await authed(
      'POST',
      '/api/v1/issuing/cards/activate',
      { card_id: c.card_id, activation_code: c.activation_code, pin: '123456' },
      randomUUID(),
    );
    await until(
      () => sandbox.snapshot().webhooks[0],
      (w) => w?.delivered === true,
    );
    expect(received).toHaveLength(3);
    const ids = received.map((r) => (JSON.parse(r.body) as { event_id: string }).event_id);
    expect(new Set(ids).size).toBe(1);
    for (const r of received) {
      const ts = r.headers['x-wk-timestamp'] as string;
      expect(r.headers['x-wk-signature']).toBe(sign(r.body, ts));
    }
    const last = received[2];
    expect(JSON.parse(last.body)).toMatchObject({
      version: 'V1.6.0',
      event_name: 'ISSUING',
      event_type: 'card.activation.status',
      source_id: c.card_id,
      data: { card_id: c.card_id, activation_status: 'Activated' },
    });
    // The library's verifier accepts what the sandbox signs, and parses it.
    const verified = verifyUqpayWebhook(Buffer.from(last.body), last.headers, {
      secret: sandbox.options.webhookSecret,
      now: () => now,
    });
    expect(parseUqpayCardEvent(verified)).toMatchObject({ cardId: c.card_id, status: 'ACTIVE' });
    expect(sandbox.snapshot().webhooks[0]).toMatchObject({
      attempts: 3,
      delivered: true,
      status: 'Activated',
    });
  });

  it('status changes send card.status.update.succeeded; cancel sends PRE_CANCEL then CANCELLED; admin BLOCKED too', async () => {
    const c = sandbox.createCard({ card_status: 'ACTIVE' });
    const freeze = await authed(
      'POST',
      `/api/v1/issuing/cards/${c.card_id}/status`,
      { card_status: 'FROZEN' },
      randomUUID(),
    );
    expect(freeze.json).toMatchObject({ card_id: c.card_id, order_status: 'PENDING' });
    await until(
      () => received.length,
      (n) => n === 1,
    );
    const cancel = await authed(
      'POST',
      `/api/v1/issuing/cards/${c.card_id}/status`,
      { card_status: 'CANCELLED' },
      randomUUID(),
    );
    expect(cancel.status).toBe(200);
    await until(
      () => received.length,
      (n) => n === 3,
    );
    const blocked = sandbox.createCard({ card_status: 'ACTIVE' });
    await call('POST', `/__admin/cards/${blocked.card_id}/status`, {
      card_status: 'BLOCKED',
      reason: 'risk',
    });
    await until(
      () => received.length,
      (n) => n === 4,
    );
    const events = received.map(
      (r) => JSON.parse(r.body) as { event_type: string; data: { card_status: string } },
    );
    expect(events.map((e) => `${e.event_type}:${e.data.card_status}`)).toEqual([
      'card.status.update.succeeded:FROZEN',
      'card.status.update.succeeded:PRE_CANCEL',
      'card.status.update.succeeded:CANCELLED',
      'card.status.update.succeeded:BLOCKED',
    ]);
    const again = await authed(
      'POST',
      `/api/v1/issuing/cards/${c.card_id}/status`,
      { card_status: 'ACTIVE' },
      randomUUID(),
    );
    expect(again).toMatchObject({
      status: 400,
      json: { type: 'card_error', code: 'invalid_card_status' },
    });
  });
});
