import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { COMMAND_TYPES, EVENT_TYPES, TOPICS } from '@issuing-bridge/contracts';
import { startUqpaySandbox, type RunningUqpaySandbox } from '../../uqpay-sandbox/src/sandbox';
import {
  ensureDatabase,
  queryDatabase,
  startService,
  TEST_DATABASE_URL,
  waitFor,
  type ServiceProcess,
} from '../../../test/support';
import { call } from './support/http';
import { TopicTap, type TappedRecord } from './support/topic-tap';

// UQPAY end to end over HTTP: gateway + card-svc (child processes) + the UQPAY sandbox (in process)
// whose webhooks go to the gateway's POST /callbacks/uqpay. Topics and database of this run only.
const run = randomUUID().slice(0, 8);
const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const topic = (name: string) => `e2e-uq-${run}.${name}`;
const T = {
  cardCommands: topic(TOPICS.cardCommands),
  cardEvents: topic(TOPICS.cardEvents),
  cardDlq: topic(TOPICS.cardCommandsDlq),
  keysecureCallbacks: topic(TOPICS.keysecureCallbacks),
  uqpayCallbacks: topic(TOPICS.uqpayCallbacks),
};
const API_KEY = 'e2e-uqpay-key-0001';
const auth = { authorization: `Bearer ${API_KEY}` };
// A PIN no id, offset or timestamp of this run is likely to contain, so a hit in the scans is a leak.
const PIN = '739184';
const DATABASE_NAME = `ib_e2e_uq_${run}`;
const databaseUrl = (() => {
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${DATABASE_NAME}`;
  return url.toString();
})();

interface AdminCard {
  card_id: string;
  activation_code: string;
  form_factor: string;
  card_status: string;
}

describe('UQPAY end to end over HTTP: admin-created physical card → activation → Activated, webhook deduplicated', () => {
  const admin = new Kafka({
    brokers,
    clientId: 'gateway-e2e-uqpay',
    logLevel: logLevel.NOTHING,
  }).admin();
  const tap = new TopicTap(brokers);
  let uqpay: RunningUqpaySandbox | undefined;
  const services: ServiceProcess[] = [];
  let gateway: ServiceProcess;
  let cardSvc: ServiceProcess;

  const api = (method: string, path: string, body?: unknown) =>
    call(gateway.baseUrl, method, path, { headers: auth, body });
  // On a timeout, the last non-info lines of each service say which hop stopped.
  const until = <R>(description: string, probe: () => Promise<R | undefined>) =>
    waitFor(probe, { timeoutMs: 60_000, intervalMs: 300, description }).catch((error: Error) => {
      const tails = services
        .map(
          (s) =>
            `--- ${s.app}\n${(s.output().stdout + s.output().stderr)
              .split('\n')
              .filter((l) => !l.includes('"level":30'))
              .slice(-15)
              .join('\n')}`,
        )
        .join('\n');
      const seen = tap.records.map((r) => `${r.topic} ${String(r.json.type)}`).join('\n');
      throw new Error(`${error.message}\n--- records\n${seen}\n${tails}`);
    });
  const get = (path: string, field: string, value: string) =>
    until(`${path} ${field}=${value}`, async () => {
      const r = await api('GET', path);
      return r.status === 200 && r.body[field] === value ? r.body : undefined;
    });
  /** card-svc's `card_callbacks_total{outcome}` (its own process: only this file's webhooks count). */
  async function callbackOutcomes(): Promise<Record<string, number>> {
    const text = await (await fetch(`${cardSvc.baseUrl}/metrics`)).text();
    const counts: Record<string, number> = {};
    for (const [, outcome, value] of text.matchAll(
      /^card_callbacks_total\{outcome="([^"]+)"\} (\d+)/gm,
    ))
      counts[outcome!] = Number(value);
    return counts;
  }

  beforeAll(async () => {
    await ensureDatabase(databaseUrl);
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: Object.values(T).map((name) => ({
        topic: name,
        numPartitions: 3,
        replicationFactor: 1,
      })),
    });
    await tap.start(Object.values(T));
    const common = { DATABASE_URL: databaseUrl, LOG_LEVEL: 'debug' };
    gateway = await startService('gateway', {
      env: {
        ...common,
        GATEWAY_API_KEYS: `e2e:${API_KEY}`,
        GATEWAY_READ_MODEL_GROUP: `e2e-uq-${run}-gateway`,
        GATEWAY_CARD_COMMANDS_TOPIC: T.cardCommands,
        GATEWAY_CARD_EVENTS_TOPIC: T.cardEvents,
        GATEWAY_KEYSECURE_CALLBACKS_TOPIC: T.keysecureCallbacks,
        GATEWAY_UQPAY_CALLBACKS_TOPIC: T.uqpayCallbacks,
      },
    });
    services.push(gateway);
    uqpay = await startUqpaySandbox({
      port: 0,
      webhookUrl: `${gateway.baseUrl}/callbacks/uqpay`,
      webhookRetryBaseMs: 200,
      webhookRetryMaxMs: 1_000,
      webhookTimeoutMs: 1_000,
    });
    cardSvc = await startService('card-svc', {
      env: {
        ...common,
        UQPAY_BASE_URL: uqpay.apiBaseUrl,
        CARD_COMMAND_GROUP_ID: `e2e-uq-${run}-card-svc`,
        CARD_CALLBACK_GROUP_ID: `e2e-uq-${run}-card-svc.callbacks`,
        CARD_COMMANDS_TOPIC: T.cardCommands,
        CARD_EVENTS_TOPIC: T.cardEvents,
        CARD_COMMANDS_DLQ_TOPIC: T.cardDlq,
        KEYSECURE_CALLBACKS_TOPIC: T.keysecureCallbacks,
        UQPAY_CALLBACKS_TOPIC: T.uqpayCallbacks,
        CARD_ISSUANCE_POLL_INTERVAL_MS: '0',
        CARD_RECONCILE_INTERVAL_MS: '0',
      },
    });
    services.push(cardSvc);
  }, 180_000);

  afterAll(async () => {
    for (const s of services) s.child.kill('SIGCONT'); // in case a test failed while the gateway was paused
    await Promise.all(services.map((s) => s.stop('SIGTERM', 15_000)));
    await uqpay?.close();
    await tap.stop();
    await admin.deleteTopics({ topics: Object.values(T) }).catch(() => undefined);
    await admin.disconnect();
    await queryDatabase(`DROP DATABASE IF EXISTS "${DATABASE_NAME}" WITH (FORCE)`);
  }, 60_000);

  it('activates over HTTP, publishes card.activated + card.status_changed once, and the activation webhook changes nothing', async () => {
    // 1. A physical card created at UQPAY (as UQPAY's own dashboard would): PENDING, with its activation code.
    const created = await fetch(`${uqpay!.url}/__admin/cards`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ form_factor: 'PHYSICAL' }),
    });
    expect(created.status).toBeLessThan(300);
    const card = (await created.json()) as AdminCard;
    expect(card).toMatchObject({ form_factor: 'PHYSICAL', card_status: 'PENDING' });
    const cardUniqueNo = `E2EUQ${run}`;

    // 2. HTTP activation with the plaintext PIN → 202 (the gateway seals the PIN before publishing).
    const accepted = await api('POST', `/v1/cards/${cardUniqueNo}/activation`, {
      provider: 'uqpay',
      card_id: card.card_id,
      activation_code: card.activation_code,
      pin: PIN,
    });
    expect(accepted.status).toBe(202);
    const commandId = accepted.body.command_id as string;
    // The activation webhook must reach card-svc after card-svc has stored the card, or it is
    // (correctly) ignored as an unknown card and the dedup by real change below proves nothing. So the
    // gateway is paused once the command is on the topic: the sandbox's delivery waits (then retries
    // with the same event_id) until card-svc has committed the activation.
    const [command] = await tap.waitForRecords(
      (r) => r.topic === T.cardCommands && r.json.id === commandId,
    );
    expect(gateway.child.kill('SIGSTOP')).toBe(true);
    try {
      expect(command!.json).toMatchObject({
        type: COMMAND_TYPES.cardActivate,
        data: {
          provider: 'uqpay',
          card_unique_no: cardUniqueNo,
          card_id: card.card_id,
          pin_jwe: expect.any(String),
        },
      });
      expect(command!.json.data).not.toHaveProperty('pin');
      await tap.waitForRecords(
        (r) =>
          r.topic === T.cardEvents &&
          r.json.causationid === commandId &&
          r.json.type === EVENT_TYPES.cardActivated,
        1,
        60_000,
      );
    } finally {
      gateway.child.kill('SIGCONT');
    }

    // 3. The command succeeded and the read model shows the card Activated.
    const status = await get(`/v1/commands/${commandId}`, 'status', 'succeeded');
    expect(status).toMatchObject({
      command_type: COMMAND_TYPES.cardActivate,
      result: { card_unique_no: cardUniqueNo, card_no: card.card_id },
    });
    const shown = await get(`/v1/cards/${cardUniqueNo}`, 'status', 'Activated');
    // card_type stays null: only KeySecure's card.applied carries it (no UQPAY apply event yet).
    expect(shown).toMatchObject({ card_no: card.card_id, status: 'Activated' });
    expect(uqpay!.snapshot().activations[card.card_id]).toBe(1);

    // 4. The activation webhook: delivered to the gateway, on the UQPAY topic once, consumed by card-svc
    //    as "no change" (the card is already Activated).
    const webhook = await until('activation webhook delivered', () =>
      Promise.resolve(
        uqpay!
          .snapshot()
          .webhooks.find(
            (w) =>
              w.event_type === 'card.activation.status' &&
              w.card_id === card.card_id &&
              w.delivered,
          ),
      ),
    );
    const relayed = (r: TappedRecord) =>
      r.topic === T.uqpayCallbacks &&
      (r.json.data as { event_id?: string } | undefined)?.event_id === webhook.event_id;
    await tap.waitForRecords(relayed);
    await until(
      'card-svc consumed the webhook',
      async () => ((await callbackOutcomes()).no_change ?? 0) >= 1 || undefined,
    );
    expect(await callbackOutcomes()).toEqual({ no_change: 1 });
    expect(tap.matching(relayed)).toHaveLength(1);

    // 5. Events: card.activated once; card.status_changed exactly for the two real changes.
    const ofCard = (type: string) =>
      tap.matching(
        (r) =>
          r.topic === T.cardEvents &&
          r.json.type === type &&
          (r.json.data as { card_unique_no?: string }).card_unique_no === cardUniqueNo,
      );
    expect(ofCard(EVENT_TYPES.cardActivated).map((r) => r.json.data)).toEqual([
      { card_unique_no: cardUniqueNo, card_no: card.card_id },
    ]);
    expect(
      ofCard(EVENT_TYPES.cardStatusChanged).map((r) => {
        const d = r.json.data as { before: string | null; after: string; source: string };
        return [d.before, d.after, d.source, r.json.causationid];
      }),
    ).toEqual([
      [null, 'ToActivate', 'command', commandId],
      ['ToActivate', 'Activated', 'command', commandId],
    ]);
    expect(tap.matching((r) => r.topic === T.cardDlq)).toEqual([]);

    // 6. The plaintext PIN is in no Kafka record (value, key or header) and no log line of either service.
    // command, card.activated, two card.status_changed, the relayed webhook: everything scanned below.
    expect(tap.records).toHaveLength(5);
    const leakedRecords = tap.records.filter((r) =>
      [r.value, r.key ?? '', ...Object.values(r.headers)].some((text) => text.includes(PIN)),
    );
    expect(leakedRecords.map((r) => `${r.topic} ${String(r.json.type)}`)).toEqual([]);
    for (const service of services) {
      const { stdout, stderr } = service.output();
      expect(stdout.length).toBeGreaterThan(0);
      const leakedLines = (stdout + stderr)
        .split('\n')
        .filter((line) => line.includes(PIN))
        // A failure shows where, never the PIN itself.
        .map((line) => line.replaceAll(PIN, '<PIN>').slice(0, 300));
      expect({ app: service.app, leakedLines }).toEqual({ app: service.app, leakedLines: [] });
    }
  });
});
