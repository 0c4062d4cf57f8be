import { randomUUID } from 'node:crypto';
import { EVENT_TYPES, TOPICS } from '@issuing-bridge/contracts';
import { signKeySecureCallback } from '@issuing-bridge/keysecure';
import {
  SANDBOX_DEFAULT_API_KEY,
  SANDBOX_DEFAULT_API_SECRET,
  startKeySecureSandbox,
  type RunningSandbox,
} from '../../keysecure-sandbox/src/sandbox';
import { OpenApiCaller } from '../../keysecure-sandbox/src/test-caller';
import {
  freePort,
  queryDatabase,
  spawnService,
  waitFor,
  type ServiceProcess,
} from '../../../test/support';
import { StackRig } from './stack-rig';
import { call } from './support/http';
import type { TappedRecord } from './support/topic-tap';

// The gateway's callback endpoint against real Kafka and Postgres: what is refused, what is
// deduplicated, and exactly what reaches keysecure.callbacks.v1.
const stack = new StackRig('callbacks');
const { run, tap } = stack;
const cardNo = `KSGWCB${run}`;

interface Callback {
  id: string;
  action: string;
  data: Record<string, unknown>;
}

function cardUpdate(id: string = randomUUID(), card = cardNo): Callback {
  return {
    id,
    action: 'Card_update',
    data: {
      card_no: card,
      before_status: 'ToActivate',
      after_status: 'Activated',
      reason: 'activated by holder',
      time: 1764140000123,
    },
  };
}

function signedHeaders(
  body: Callback,
  timestamp = Date.now(),
  secret = SANDBOX_DEFAULT_API_SECRET,
): Record<string, string> {
  const ts = String(timestamp);
  return {
    timestamp: ts,
    'sign-version': 'V1',
    signature: signKeySecureCallback({
      data: body.data,
      timestamp: ts,
      appId: SANDBOX_DEFAULT_API_KEY,
      apiSecret: secret,
    }),
  };
}

describe('gateway POST /callbacks/keysecure', () => {
  let gateway: ServiceProcess;
  const post = (rawBody: string, headers: Record<string, string>) =>
    call(gateway.baseUrl, 'POST', '/callbacks/keysecure', { rawBody, headers });
  const publishedWithId = (id: string) => (r: TappedRecord) =>
    r.topic === TOPICS.keysecureCallbacks &&
    (r.json.data as { id?: string } | undefined)?.id === id;

  /** A valid callback on the same card (same partition) published after the others: once it is on
   * the topic, anything the earlier requests had published would be there too. */
  async function sentinel(card = cardNo): Promise<void> {
    const body = cardUpdate(randomUUID(), card);
    const raw = JSON.stringify(body);
    expect((await post(raw, signedHeaders(body))).body).toEqual({ code: 0, message: '' });
    await tap.waitForRecords(publishedWithId(body.id));
  }

  beforeAll(async () => {
    await stack.setUp([TOPICS.keysecureCallbacks]);
    gateway = await stack.start('gateway', {
      KEYSECURE_API_KEY: SANDBOX_DEFAULT_API_KEY,
      KEYSECURE_API_SECRET: SANDBOX_DEFAULT_API_SECRET,
    });
  });

  afterAll(() => stack.tearDown('SIGKILL'));

  it('publishes a verified callback once, keyed by card_no, with the body as received', async () => {
    const body = cardUpdate();
    const response = await post(JSON.stringify(body), signedHeaders(body));
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ code: 0, message: '' });
    const [record] = await tap.waitForRecords(publishedWithId(body.id));
    expect(record.key).toBe(cardNo);
    expect(record.headers['content-type']).toBe('application/cloudevents+json');
    expect(record.json).toMatchObject({
      type: EVENT_TYPES.keysecureCallbackReceived,
      source: 'urn:issuing-bridge:gateway',
      subject: cardNo,
      data: body,
    });
  });

  it('acknowledges a replayed callback id (fresh timestamp, valid signature) but publishes it only once', async () => {
    const body = cardUpdate();
    const raw = JSON.stringify(body);
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const response = await post(raw, signedHeaders(body, Date.now() + attempt));
      expect(response.body).toEqual({ code: 0, message: '' });
    }
    // Two at once as well: the second waits on the first's row, then counts as a duplicate.
    const concurrent = await Promise.all([
      post(raw, signedHeaders(body)),
      post(raw, signedHeaders(body)),
    ]);
    expect(concurrent.map((r) => r.body)).toEqual([
      { code: 0, message: '' },
      { code: 0, message: '' },
    ]);
    await sentinel();
    expect(tap.matching(publishedWithId(body.id))).toHaveLength(1);
  });

  it('refuses forged, stale, altered, unsigned and malformed callbacks and publishes none of them', async () => {
    const refused: Array<{ name: string; id: string; status: number; message: RegExp }> = [];
    const attempt = async (
      name: string,
      body: Callback,
      raw: string,
      headers: Record<string, string>,
      status: number,
      message: RegExp,
    ) => {
      const response = await post(raw, headers);
      expect({ name, status: response.status }).toEqual({ name, status });
      expect(response.body.code).not.toBe(0);
      expect(response.body.message).toMatch(message);
      refused.push({ name, id: body.id, status, message });
    };

    const forged = cardUpdate();
    await attempt(
      'forged',
      forged,
      JSON.stringify(forged),
      signedHeaders(forged, Date.now(), 'not-the-secret-0123456789abcdef'),
      401,
      /Signature: does not match/,
    );

    const stale = cardUpdate();
    await attempt(
      'stale',
      stale,
      JSON.stringify(stale),
      signedHeaders(stale, Date.now() - 5 * 60_000),
      401,
      /Timestamp: outside/,
    );

    const future = cardUpdate();
    await attempt(
      'future',
      future,
      JSON.stringify(future),
      signedHeaders(future, Date.now() + 5 * 60_000),
      401,
      /Timestamp: outside/,
    );

    const original = cardUpdate();
    const altered = { ...original, data: { ...original.data, after_status: 'Frozen' } };
    await attempt(
      'altered',
      altered,
      JSON.stringify(altered),
      signedHeaders(original),
      401,
      /Signature: does not match/,
    );

    const unsigned = cardUpdate();
    const { signature: _signature, ...noSignature } = signedHeaders(unsigned);
    await attempt(
      'unsigned',
      unsigned,
      JSON.stringify(unsigned),
      noSignature,
      401,
      /Signature: header is required/,
    );

    const badVersion = cardUpdate();
    await attempt(
      'version',
      badVersion,
      JSON.stringify(badVersion),
      { ...signedHeaders(badVersion), 'sign-version': 'V2' },
      401,
      /Sign-Version/,
    );

    const noId = cardUpdate('');
    await attempt('no id', noId, JSON.stringify(noId), signedHeaders(noId), 400, /id: must be/);

    const truncated = cardUpdate();
    await attempt(
      'not json',
      truncated,
      JSON.stringify(truncated).slice(0, 20),
      signedHeaders(truncated),
      400,
      /body/,
    );

    await sentinel();
    for (const { id } of refused) expect(tap.matching(publishedWithId(id))).toHaveLength(0);

    const metrics = await call(gateway.baseUrl, 'GET', '/metrics');
    const count = (outcome: string) =>
      Number(
        new RegExp(`gateway_keysecure_callbacks_total\\{outcome="${outcome}"\\} (\\d+)`).exec(
          metrics.text,
        )?.[1] ?? 0,
      );
    expect(count('bad_signature')).toBe(4); // forged, altered, unsigned, version
    expect(count('stale_timestamp')).toBe(2);
    expect(count('malformed')).toBe(2);
    expect(count('duplicate')).toBe(4);
  });

  it('accepts the sandbox’s own signed Card_update pushes (SignUtils V1 interop)', async () => {
    let sandbox: RunningSandbox | undefined;
    try {
      sandbox = await startKeySecureSandbox({
        callbackUrl: `${gateway.baseUrl}/callbacks/keysecure`,
        cardIssueDelayMs: 5,
        callbackRetryBaseMs: 50,
      });
      const api = new OpenApiCaller(sandbox.url);
      await api.login();
      const holder = await api.call('POST', '/cardholder/apply', {
        cardholder_unique_no: `gwcb-h-${run}`,
        sumsub_share_token: 'share-token',
      });
      const holderNo = holder.data!.cardholder_no as string;
      sandbox.setKycStatus(holderNo, 'Approved');
      const card = await api.call('POST', '/card/apply', {
        cardholder_no: holderNo,
        package_no: 'PKG_VIRTUAL_001',
        card_type: 'Virtual',
        card_unique_no: `gwcb-c-${run}`,
      });
      const sandboxCardNo = card.data!.card_no as string;
      await waitFor(
        () => sandbox!.state.callbacks.find((c) => c.data.card_no === sandboxCardNo)?.delivered,
        {
          timeoutMs: 20000,
          description: 'sandbox callback acknowledged by the gateway',
        },
      );
      const push = sandbox.state.callbacks.find((c) => c.data.card_no === sandboxCardNo)!;
      expect(push.attempts).toBe(1);
      const [record] = await tap.waitForRecords(publishedWithId(push.id));
      expect(record.key).toBe(sandboxCardNo);
      expect(record.json.data).toEqual({ id: push.id, action: 'Card_update', data: push.data });
    } finally {
      await sandbox?.close();
    }
  });
});

describe('gateway POST /callbacks/keysecure without a broker', () => {
  let gateway: ServiceProcess | undefined;
  afterAll(async () => {
    await gateway?.stop('SIGKILL');
  });

  it('does not acknowledge (non-zero code) nor remember a callback Kafka did not take, so the retry goes through', async () => {
    // Nothing listens on this port: every publish fails after kafkajs' own retries.
    gateway = await spawnService('gateway', {
      env: {
        KAFKA_BROKERS: `127.0.0.1:${await freePort()}`,
        KEYSECURE_API_KEY: SANDBOX_DEFAULT_API_KEY,
        KEYSECURE_API_SECRET: SANDBOX_DEFAULT_API_SECRET,
        GATEWAY_READ_MODEL_GROUP: `gateway-test-nobroker-${run}`,
      },
    });
    const baseUrl = gateway.baseUrl;
    await waitFor(async () => (await fetch(`${baseUrl}/health/live`)).status === 200, {
      timeoutMs: 60000,
      intervalMs: 300,
      description: 'gateway live',
    });
    const body = cardUpdate();
    const response = await call(baseUrl, 'POST', '/callbacks/keysecure', {
      rawBody: JSON.stringify(body),
      headers: signedHeaders(body),
    });
    expect(response.status).toBe(503);
    expect(response.body.code).not.toBe(0);
    expect(
      await queryDatabase('SELECT 1 FROM gateway.keysecure_callbacks WHERE callback_id = $1', [
        body.id,
      ]),
    ).toHaveLength(0);

    // The same holds for commands: no 202, no idempotency row, so a retry publishes afresh.
    const key = `nobroker-${run}`;
    const command = await call(baseUrl, 'POST', '/v1/cards/NOBROKER1/status', {
      headers: { authorization: 'Bearer dev-api-key', 'idempotency-key': key },
      body: { action: 'freeze' },
    });
    expect(command.status).toBeGreaterThanOrEqual(500);
    expect(
      await queryDatabase('SELECT 1 FROM gateway.idempotency_keys WHERE idempotency_key = $1', [
        key,
      ]),
    ).toHaveLength(0);
  });
});
