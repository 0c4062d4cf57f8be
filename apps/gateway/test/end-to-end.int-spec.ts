import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { TOPICS } from '@issuing-bridge/contracts';
import {
  SANDBOX_DEFAULT_API_KEY,
  SANDBOX_DEFAULT_API_SECRET,
  startKeySecureSandbox,
  type RunningSandbox,
} from '../../keysecure-sandbox/src/sandbox';
import {
  ensureDatabase,
  queryDatabase,
  startService,
  TEST_DATABASE_URL,
  waitFor,
  type ServiceProcess,
} from '../../../test/support';
import { call } from './support/http';
import { TopicTap } from './support/topic-tap';

// End to end over HTTP: gateway + cardholder-svc + card-svc + the KeySecure sandbox, on topics of
// their own (so no other test's services take these commands) and the shared Postgres.
const run = randomUUID().slice(0, 8);
const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const topic = (name: string) => `e2e-${run}.${name}`;
const T = {
  cardholderCommands: topic(TOPICS.cardholderCommands),
  cardCommands: topic(TOPICS.cardCommands),
  cardholderEvents: topic(TOPICS.cardholderEvents),
  cardEvents: topic(TOPICS.cardEvents),
  callbacks: topic(TOPICS.keysecureCallbacks),
  cardholderDlq: topic(TOPICS.cardholderCommandsDlq),
  cardDlq: topic(TOPICS.cardCommandsDlq),
};
const API_KEY = 'e2e-key-0001-secret';
const auth = { authorization: `Bearer ${API_KEY}` };
// A database of this run: every fresh sandbox numbers its cards from 1 again, so card_no values of
// an earlier run left in a shared `card` schema would collide with this run's.
const DATABASE_NAME = `ib_e2e_${run}`;
const databaseUrl = (() => {
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${DATABASE_NAME}`;
  return url.toString();
})();
const keysecure = {
  KEYSECURE_API_KEY: SANDBOX_DEFAULT_API_KEY,
  KEYSECURE_API_SECRET: SANDBOX_DEFAULT_API_SECRET,
  DATABASE_URL: databaseUrl,
};

describe('end to end over HTTP: cardholder → Approved → physical card → activate → freeze', () => {
  const admin = new Kafka({ brokers, clientId: 'gateway-e2e', logLevel: logLevel.NOTHING }).admin();
  const tap = new TopicTap(brokers);
  let sandbox: RunningSandbox | undefined;
  const services: ServiceProcess[] = [];
  let gateway: ServiceProcess;

  const api = (method: string, path: string, body?: unknown) =>
    call(gateway.baseUrl, method, path, { headers: auth, body });
  // On a timeout, the last lines of every service say which hop stopped.
  const until = <T>(description: string, probe: () => Promise<T | undefined>) =>
    waitFor(probe, { timeoutMs: 60000, intervalMs: 300, description }).catch((error: Error) => {
      const tails = services
        .map(
          (s) =>
            `--- ${s.app}\n${(s.output().stdout + s.output().stderr)
              .split('\n')
              .filter((line) => !line.includes('"level":30') && !line.includes('KycPoller'))
              .slice(-15)
              .join('\n')}`,
        )
        .join('\n');
      const seen = tap.records
        .map(
          (r) => `${r.topic} ${String(r.json.type)} ${JSON.stringify(r.json.data).slice(0, 300)}`,
        )
        .join('\n');
      const provider = [...(sandbox?.state.cards.values() ?? [])]
        .map((c) => `${c.card_unique_no} ${c.card_no} ${c.status}`)
        .join('\n');
      throw new Error(
        `${error.message}\n--- records\n${seen}\n--- sandbox cards\n${provider}\n${tails}`,
      );
    });
  const get = (path: string, field: string, value: string) =>
    until(`${path} ${field}=${value}`, async () => {
      const r = await api('GET', path);
      return r.status === 200 && r.body[field] === value ? r.body : undefined;
    });
  async function accepted(path: string, body: unknown): Promise<string> {
    const response = await api('POST', path, body);
    expect(response.status).toBe(202);
    return response.body.command_id as string;
  }
  const succeeded = (commandId: string) => get(`/v1/commands/${commandId}`, 'status', 'succeeded');

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
    await tap.start([
      T.cardholderCommands,
      T.cardCommands,
      T.cardholderEvents,
      T.callbacks,
      T.cardEvents,
      T.cardholderDlq,
      T.cardDlq,
    ]);
    gateway = await startService('gateway', {
      env: {
        ...keysecure,
        GATEWAY_API_KEYS: `e2e:${API_KEY}`,
        GATEWAY_READ_MODEL_GROUP: `e2e-${run}-gateway`,
        GATEWAY_CARDHOLDER_COMMANDS_TOPIC: T.cardholderCommands,
        GATEWAY_CARD_COMMANDS_TOPIC: T.cardCommands,
        GATEWAY_CARDHOLDER_EVENTS_TOPIC: T.cardholderEvents,
        GATEWAY_CARD_EVENTS_TOPIC: T.cardEvents,
        GATEWAY_KEYSECURE_CALLBACKS_TOPIC: T.callbacks,
      },
    });
    services.push(gateway);
    sandbox = await startKeySecureSandbox({
      callbackUrl: `${gateway.baseUrl}/callbacks/keysecure`,
      kycStepDelayMs: 300,
      cardIssueDelayMs: 300,
      callbackRetryBaseMs: 100,
    });
    const [cardholderSvc, cardSvc] = await Promise.all([
      startService('cardholder-svc', {
        env: {
          ...keysecure,
          KEYSECURE_BASE_URL: sandbox.url,
          CARDHOLDER_SVC_GROUP_ID: `e2e-${run}-cardholder-svc`,
          CARDHOLDER_COMMANDS_TOPIC: T.cardholderCommands,
          CARDHOLDER_EVENTS_TOPIC: T.cardholderEvents,
          CARDHOLDER_COMMANDS_DLQ_TOPIC: T.cardholderDlq,
          KYC_POLL_INITIAL_MS: '300',
          KYC_POLL_MAX_MS: '1000',
          KYC_POLL_TICK_MS: '200',
        },
      }),
      startService('card-svc', {
        env: {
          ...keysecure,
          KEYSECURE_BASE_URL: sandbox.url,
          CARD_COMMAND_GROUP_ID: `e2e-${run}-card-svc`,
          CARD_CALLBACK_GROUP_ID: `e2e-${run}-card-svc.callbacks`,
          CARD_COMMANDS_TOPIC: T.cardCommands,
          CARD_EVENTS_TOPIC: T.cardEvents,
          CARD_COMMANDS_DLQ_TOPIC: T.cardDlq,
          KEYSECURE_CALLBACKS_TOPIC: T.callbacks,
          // Issuance is learnt only from the sandbox's callback (through the gateway), not by polling.
          CARD_ISSUANCE_POLL_INTERVAL_MS: '0',
          CARD_RECONCILE_INTERVAL_MS: '0',
        },
      }),
    ]);
    services.push(cardholderSvc, cardSvc);
  }, 180000);

  afterAll(async () => {
    await Promise.all(services.map((s) => s.stop('SIGTERM', 15000)));
    await sandbox?.close();
    await tap.stop();
    await admin.deleteTopics({ topics: Object.values(T) }).catch(() => undefined);
    await admin.disconnect();
    await queryDatabase(`DROP DATABASE IF EXISTS "${DATABASE_NAME}" WITH (FORCE)`);
  });

  it('every GET shows the right state, and the sandbox’s callbacks reach card-svc through the gateway', async () => {
    const cardholderUniqueNo = `E2EH${run}`;
    const cardUniqueNo = `E2EC${run}`;

    // 1. KYC apply → succeeded with KeySecure's cardholder_no → Approved (cardholder-svc polls).
    const applyHolder = await accepted('/v1/cardholders', {
      cardholder_unique_no: cardholderUniqueNo,
      sumsub_share_token: 'sumsub-share-token-e2e',
    });
    const holderResult = await succeeded(applyHolder);
    const cardholderNo = (holderResult.result as { cardholder_no: string }).cardholder_no;
    expect(cardholderNo).toEqual(expect.any(String));
    const approved = await get(`/v1/cardholders/${cardholderUniqueNo}`, 'kyc_status', 'Approved');
    expect(approved).toMatchObject({ cardholder_no: cardholderNo });

    // 2. Physical card → Pending → ToActivate, learnt from the sandbox's Card_update callback.
    const applyCard = await accepted('/v1/cards', {
      card_unique_no: cardUniqueNo,
      cardholder_no: cardholderNo,
      card_type: 'Physical',
      package_no: 'PKG_PHYSICAL_001',
      address_info: {
        first_name: 'Ada',
        last_name: 'Lovelace',
        phone_code: '44',
        phone: '2079460000',
        postal_code: 'EC1A 1BB',
        country: 'GB',
        state: 'London',
        city: 'London',
        address_line1: '1 Main Street',
      },
    });
    const cardResult = await succeeded(applyCard);
    const cardNo = (cardResult.result as { card_no: string }).card_no;
    const toActivate = await get(`/v1/cards/${cardUniqueNo}`, 'status', 'ToActivate');
    expect(toActivate).toMatchObject({
      card_no: cardNo,
      cardholder_no: cardholderNo,
      card_type: 'Physical',
    });
    const push = sandbox!.state.callbacks.find(
      (c) => c.data.card_no === cardNo && c.data.after_status === 'ToActivate',
    );
    expect(push).toMatchObject({ delivered: true });
    const relayed = await tap.waitForRecords(
      (r) => r.topic === T.callbacks && (r.json.data as { id?: string }).id === push!.id,
    );
    expect(relayed).toHaveLength(1);
    const statusEvents = await tap.waitForRecords(
      (r) =>
        r.topic === T.cardEvents &&
        r.json.type === 'card.status_changed.v1' &&
        (r.json.data as { card_no?: string; after?: string }).card_no === cardNo &&
        (r.json.data as { after?: string }).after === 'ToActivate',
    );
    expect(statusEvents[0].json.data).toMatchObject({ source: 'callback' });

    // 3. Activate with the last four digits printed on the card and the CVV.
    const cardLastNo = sandbox!.state.cardByUniqueNo(cardUniqueNo)!.card_last_no;
    const activate = await accepted(`/v1/cards/${cardUniqueNo}/activation`, {
      cvv: '123',
      card_last_no: cardLastNo,
    });
    await succeeded(activate);
    await get(`/v1/cards/${cardUniqueNo}`, 'status', 'Activated');
    expect(sandbox!.state.cardByUniqueNo(cardUniqueNo)!.status).toBe('Activated');

    // 4. Freeze.
    const freeze = await accepted(`/v1/cards/${cardUniqueNo}/status`, { action: 'freeze' });
    const frozen = await succeeded(freeze);
    expect(frozen).toMatchObject({
      command_type: 'card.status.update.v1',
      result: { status: 'Frozen' },
    });
    await get(`/v1/cards/${cardUniqueNo}`, 'status', 'Frozen');
    expect(sandbox!.state.cardByUniqueNo(cardUniqueNo)!.status).toBe('Frozen');

    // Every command the gateway accepted shows its outcome.
    for (const id of [applyHolder, applyCard, activate, freeze]) {
      expect((await api('GET', `/v1/commands/${id}`)).body.status).toBe('succeeded');
    }
  });
});
