import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startKeySecureSandbox, SANDBOX_DEFAULT_API_SECRET, type RunningSandbox } from './sandbox';
import { REDACTED_HEADER, type RecordedHeaders } from './state';
import { admin, OpenApiCaller, waitFor } from './test-caller';

interface Received {
  headers: IncomingHttpHeaders;
  body: { id: string; action: string; data: Record<string, unknown> };
}

/** Tiny merchant endpoint: answers each push with the next scripted reply, then `{code:0}`. */
async function startReceiver(script: Array<{ status: number; body: string }>) {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString('utf8')));
    req.on('end', () => {
      received.push({ headers: req.headers, body: JSON.parse(raw) as Received['body'] });
      const reply = script.shift() ?? {
        status: 200,
        body: JSON.stringify({ code: 0, message: '' }),
      };
      res.writeHead(reply.status, { 'content-type': 'application/json' }).end(reply.body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/callbacks/keysecure`;
  return { url, received, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** SignUtils V1 written out by hand for Card_update's fields, in TreeMap order. */
function expectedSignature(
  data: Record<string, unknown>,
  appId: string,
  timestamp: string,
  secret: string,
): string {
  const text =
    `after_status=${String(data.after_status)}&appId=${appId}&before_status=${String(data.before_status)}` +
    `&card_no=${String(data.card_no)}&reason=${String(data.reason)}&time=${String(data.time)}&timestamp=${timestamp}`;
  return createHmac('sha256', secret).update(text).digest('hex');
}

let seq = 0;
const unique = (p: string) => `${p}-${process.pid}-${++seq}`;

async function issueVirtualCard(sandbox: RunningSandbox, api: OpenApiCaller): Promise<string> {
  const holder = await api.call('POST', '/cardholder/apply', {
    cardholder_unique_no: unique('h'),
    sumsub_share_token: 't',
  });
  const holderNo = holder.data!.cardholder_no as string;
  sandbox.setKycStatus(holderNo, 'Approved');
  const card = await api.call('POST', '/card/apply', {
    cardholder_no: holderNo,
    package_no: 'PKG_VIRTUAL_001',
    card_type: 'Virtual',
    card_unique_no: unique('c'),
  });
  return card.data!.card_no as string;
}

describe('KeySecure sandbox: Card_update callbacks', () => {
  it('delivers signed pushes and retries (HTTP 500, code ≠ 0) until acknowledged with {code:0}', async () => {
    const receiver = await startReceiver([
      { status: 500, body: 'boom' },
      { status: 200, body: JSON.stringify({ code: 1, message: 'not yet' }) },
    ]);
    const sandbox = await startKeySecureSandbox({
      callbackUrl: receiver.url,
      cardIssueDelayMs: 5,
      callbackRetryBaseMs: 20,
      appId: 'merchant-app-1',
    });
    try {
      const api = new OpenApiCaller(sandbox.url);
      await api.login();
      const cardNo = await issueVirtualCard(sandbox, api);
      await waitFor(() => sandbox.state.callbacks[0]?.delivered);
      expect(receiver.received).toHaveLength(3);
      const ids = new Set(receiver.received.map((r) => r.body.id));
      expect(ids.size).toBe(1);
      for (const { headers, body } of receiver.received) {
        expect(body).toEqual({
          id: expect.any(String),
          action: 'Card_update',
          data: {
            card_no: cardNo,
            before_status: 'Pending',
            after_status: 'Activated',
            reason: expect.any(String),
            time: expect.any(Number),
          },
        });
        expect(headers['sign-version']).toBe('V1');
        expect(headers.timezone).toBe('UTC+8');
        expect(headers.timestamp).toMatch(/^\d{13}$/);
        expect(headers.signature).toBe(
          expectedSignature(
            body.data,
            'merchant-app-1',
            headers.timestamp as string,
            SANDBOX_DEFAULT_API_SECRET,
          ),
        );
      }
      expect(sandbox.state.callbacks[0]).toMatchObject({
        attempts: 3,
        delivered: true,
        lastError: null,
      });
      // no further pushes once acknowledged
      await new Promise((r) => setTimeout(r, 100));
      expect(receiver.received).toHaveLength(3);
    } finally {
      await sandbox.close();
      await receiver.close();
    }
  });

  it('pushes on every status change: activation, freeze, and admin changes unless callback:false', async () => {
    const receiver = await startReceiver([]);
    const sandbox = await startKeySecureSandbox({ callbackUrl: receiver.url, cardIssueDelayMs: 5 });
    try {
      const api = new OpenApiCaller(sandbox.url);
      await api.login();
      const cardNo = await issueVirtualCard(sandbox, api);
      await waitFor(() => receiver.received.length === 1);
      await api.call('POST', '/card/status/update', { card_no: cardNo, status: 'Frozen' });
      await waitFor(() => receiver.received.length === 2);
      const byAdmin = await admin<{ code: number; data: { status: string } }>(
        sandbox.url,
        'POST',
        `/cards/${cardNo}/status`,
        {
          status: 'Activated',
          reason: 'Risk review cleared',
        },
      );
      expect(byAdmin).toMatchObject({ code: 0, data: { status: 'Activated' } });
      await waitFor(() => receiver.received.length === 3);
      expect(receiver.received[2].body.data).toMatchObject({
        before_status: 'Frozen',
        after_status: 'Activated',
        reason: 'Risk review cleared',
      });
      await admin(sandbox.url, 'POST', `/cards/${cardNo}/status`, {
        status: 'Delete',
        callback: false,
      });
      await new Promise((r) => setTimeout(r, 100));
      expect(receiver.received).toHaveLength(3);
      expect(sandbox.state.cards.get(cardNo)!.status).toBe('Delete');
      expect(receiver.received.map((r) => r.body.data.after_status)).toEqual([
        'Activated',
        'Frozen',
        'Activated',
      ]);
    } finally {
      await sandbox.close();
      await receiver.close();
    }
  });
});

describe('KeySecure sandbox: fault injection', () => {
  let sandbox: RunningSandbox;
  let api: OpenApiCaller;
  let draws: number[];

  beforeAll(async () => {
    sandbox = await startKeySecureSandbox({ random: () => draws.shift() ?? 0.99 });
    api = new OpenApiCaller(sandbox.url);
  });
  beforeEach(async () => {
    draws = [];
    await admin(sandbox.url, 'DELETE', '/faults');
    await api.login();
  });
  afterAll(() => sandbox.close());

  const packages = () => api.raw('POST', '/card/package/list', {});
  const codeOf = async (res: Promise<Response>) =>
    ((await (await res).json()) as { code: number }).code;

  it('adds latency', async () => {
    await admin(sandbox.url, 'POST', '/faults', { kind: 'latency', latencyMs: 1_500, count: 1 });
    const started = Date.now();
    expect(await codeOf(packages())).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_490);
    // count: 1 — the next call is not delayed (a wide margin: the machine may be loaded).
    const again = Date.now();
    await packages();
    expect(Date.now() - again).toBeLessThan(1_000);
  });

  it('answers HTTP 5xx for the next N calls only', async () => {
    const added = await admin<{ data: { id: number } }>(sandbox.url, 'POST', '/faults', {
      kind: 'http_error',
      status: 502,
      count: 2,
    });
    expect(added.data.id).toEqual(expect.any(Number));
    expect((await packages()).status).toBe(502);
    expect((await packages()).status).toBe(502);
    expect((await packages()).status).toBe(200);
  });

  it('never answers on timeout (the client gives up), and counts the call', async () => {
    await admin(sandbox.url, 'POST', '/faults', {
      kind: 'timeout',
      endpoint: 'card.package.list',
      count: 1,
    });
    const before = sandbox.snapshot().calls['card.package.list'] ?? 0;
    await expect(
      api.raw('POST', '/card/package/list', {}, {}, AbortSignal.timeout(300)),
    ).rejects.toThrow();
    expect(sandbox.snapshot().calls['card.package.list']).toBe(before + 1);
    expect((await packages()).status).toBe(200);
  });

  it('drops the connection', async () => {
    await admin(sandbox.url, 'POST', '/faults', { kind: 'drop', count: 1 });
    await expect(packages()).rejects.toThrow();
    expect((await packages()).status).toBe(200);
  });

  it('answers a given error code, only on the filtered endpoint', async () => {
    await admin(sandbox.url, 'POST', '/faults', {
      kind: 'error_code',
      code: 1001,
      endpoint: 'card.package.list',
    });
    expect(await (await packages()).json()).toEqual({ code: 1001, msg: expect.any(String) });
    expect((await api.call('POST', '/card/support/bins', {})).code).toBe(0);
    expect((await api.call('GET', '/merchant/token')).code).toBe(0);
    await admin(sandbox.url, 'DELETE', '/faults');
    expect(await codeOf(packages())).toBe(0);
  });

  it('applies to a share of calls (rate)', async () => {
    await admin(sandbox.url, 'POST', '/faults', { kind: 'error_code', code: 1009, rate: 0.5 });
    draws = [0.1, 0.7, 0.4, 0.9];
    const codes = [];
    for (let i = 0; i < 4; i++) codes.push(await codeOf(packages()));
    expect(codes).toEqual([1009, 0, 1009, 0]);
  });

  it('refuses a malformed fault naming the field', async () => {
    const res = await fetch(`${sandbox.url}/__admin/faults`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ kind: 'latency' }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { msg: string }).msg).toMatch(/^latencyMs /);
  });
});

describe('KeySecure sandbox: admin API', () => {
  it('shows state with call counts, forces KYC and resets', async () => {
    const sandbox = await startKeySecureSandbox({ kycStepDelayMs: 60_000 });
    try {
      const api = new OpenApiCaller(sandbox.url);
      await api.login();
      const holder = await api.call('POST', '/cardholder/apply', {
        cardholder_unique_no: unique('h'),
        sumsub_share_token: 't',
      });
      const no = holder.data!.cardholder_no as string;
      const forced = await admin<{ data: { status: string; fail_reason: string } }>(
        sandbox.url,
        'POST',
        `/cardholders/${no}/kyc`,
        {
          status: 'Rejected',
          fail_reason: 'Document expired',
        },
      );
      expect(forced.data).toMatchObject({ status: 'Rejected', fail_reason: 'Document expired' });
      expect((await api.call('GET', `/cardholder/${no}/info`)).data!.status).toBe('Rejected');
      const bad = await admin<{ code: number; msg: string }>(
        sandbox.url,
        'POST',
        `/cardholders/${no}/kyc`,
        { status: 'Maybe' },
      );
      expect(bad).toEqual({ code: 1004, msg: expect.stringMatching(/^status /) });

      const state = await admin<{
        data: { cardholders: Array<{ cardholder_no: string }>; calls: Record<string, number> };
      }>(sandbox.url, 'GET', '/state');
      expect(state.data.cardholders.map((c) => c.cardholder_no)).toEqual([no]);
      expect(state.data.calls).toEqual({ token: 1, 'cardholder.apply': 1, 'cardholder.info': 1 });
      expect(JSON.stringify(state.data)).not.toContain(api.token as string);

      await admin(sandbox.url, 'POST', '/tokens/expire');
      expect((await api.call('GET', `/cardholder/${no}/info`)).code).toBe(1007);

      await admin(sandbox.url, 'POST', '/reset');
      const after = await admin<{
        data: { cardholders: unknown[]; calls: Record<string, number> };
      }>(sandbox.url, 'GET', '/state');
      expect(after.data).toMatchObject({ cardholders: [], calls: {} });
    } finally {
      await sandbox.close();
    }
  });

  it('records the last request headers per endpoint with Api-Key / Access-Token masked', async () => {
    const sandbox = await startKeySecureSandbox({});
    try {
      const api = new OpenApiCaller(sandbox.url);
      const token = await api.login();
      await api.call('POST', '/card/package/list', {}, { Timezone: 'UTC+8', Language: 'en' });
      await api.call('POST', '/card/support/bins', {}, { 'Access-Token': `Bearer ${token}` });

      const state = await admin<{ data: { lastHeaders: Record<string, RecordedHeaders> } }>(
        sandbox.url,
        'GET',
        '/state',
      );
      const list = state.data.lastHeaders['card.package.list'];
      expect(list).toMatchObject({
        apiKeyPresent: true,
        accessTokenPresent: true,
        accessTokenHasBearerPrefix: false,
        headers: {
          'api-key': REDACTED_HEADER,
          'access-token': REDACTED_HEADER,
          timezone: 'UTC+8',
          language: 'en',
          timestamp: expect.stringMatching(/^\d{13}$/),
        },
      });
      expect(state.data.lastHeaders['card.support.bins']).toMatchObject({
        accessTokenPresent: true,
        accessTokenHasBearerPrefix: true,
      });
      expect(state.data.lastHeaders.token).toMatchObject({ apiKeyPresent: true, accessTokenPresent: false });
      expect(state.data.lastHeaders.token.headers['access-token']).toBeUndefined();
      // Neither the token nor the Api-Key value leaves the sandbox.
      const text = JSON.stringify(state.data) + JSON.stringify(sandbox.snapshot());
      expect(text).not.toContain(token);
      expect(text).not.toContain(api.apiKey);

      sandbox.reset();
      expect(sandbox.snapshot().lastHeaders).toEqual({});
    } finally {
      await sandbox.close();
    }
  });

  it('close() ends hung connections and stops callback retries', async () => {
    const sandbox = await startKeySecureSandbox({
      callbackUrl: 'http://127.0.0.1:9/unreachable',
      cardIssueDelayMs: 1,
      callbackRetryBaseMs: 10,
    });
    const api = new OpenApiCaller(sandbox.url);
    await api.login();
    await issueVirtualCard(sandbox, api);
    await waitFor(() => (sandbox.state.callbacks[0]?.attempts ?? 0) >= 2);
    sandbox.addFault({ kind: 'timeout' });
    const hung = api.raw('GET', '/merchant/token').catch((e: Error) => e);
    await waitFor(() => (sandbox.state.calls.token ?? 0) >= 2);
    await sandbox.close();
    expect(await hung).toMatchObject({ message: expect.any(String) }); // fetch failed: socket closed
    const attempts = sandbox.state.callbacks[0].attempts;
    await new Promise((r) => setTimeout(r, 100));
    expect(sandbox.state.callbacks[0].attempts).toBe(attempts);
  });
});
