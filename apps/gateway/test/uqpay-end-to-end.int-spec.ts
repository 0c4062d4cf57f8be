import { COMMAND_TYPES, EVENT_TYPES, TOPICS } from '@issuing-bridge/contracts';
import { startUqpaySandbox, type RunningUqpaySandbox } from '../../uqpay-sandbox/src/sandbox';
import type { ServiceProcess } from '../../../test/support';
import { StackRig } from './stack-rig';
import type { TappedRecord } from './support/topic-tap';

// UQPAY end to end over HTTP: gateway + card-svc (child processes) + the UQPAY sandbox (in process)
// whose webhooks go to the gateway's POST /callbacks/uqpay. Topics and database of this run only.
const stack = new StackRig('e2e_uq', { isolate: ['gateway', 'card-svc'], ownDatabase: true });
const { run, tap, services, api, until, get } = stack;
// A PIN no id, offset or timestamp of this run is likely to contain, so a hit in the scans is a leak.
const PIN = '739184';

interface AdminCard {
  card_id: string;
  activation_code: string;
  form_factor: string;
  card_status: string;
}

describe('UQPAY end to end over HTTP: admin-created physical card → activation → Activated, webhook deduplicated', () => {
  let uqpay: RunningUqpaySandbox | undefined;
  let gateway: ServiceProcess;
  let cardSvc: ServiceProcess;
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
    await stack.setUp([
      TOPICS.cardCommands,
      TOPICS.cardEvents,
      TOPICS.cardCommandsDlq,
      TOPICS.keysecureCallbacks,
      TOPICS.uqpayCallbacks,
    ]);
    gateway = await stack.start('gateway', { LOG_LEVEL: 'debug' });
    uqpay = stack.own(
      await startUqpaySandbox({
        port: 0,
        webhookUrl: `${gateway.baseUrl}/callbacks/uqpay`,
        webhookRetryBaseMs: 200,
        webhookRetryMaxMs: 1_000,
        webhookTimeoutMs: 1_000,
      }),
    );
    cardSvc = await stack.start('card-svc', {
      LOG_LEVEL: 'debug',
      UQPAY_BASE_URL: uqpay.apiBaseUrl,
      CARD_ISSUANCE_POLL_INTERVAL_MS: '0',
      CARD_RECONCILE_INTERVAL_MS: '0',
    });
  }, 180_000);

  afterAll(() => stack.tearDown(), 60_000);

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
      (r) => r.topic === stack.topic(TOPICS.cardCommands) && r.json.id === commandId,
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
          r.topic === stack.topic(TOPICS.cardEvents) &&
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
      r.topic === stack.topic(TOPICS.uqpayCallbacks) &&
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
          r.topic === stack.topic(TOPICS.cardEvents) &&
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
    expect(tap.matching((r) => r.topic === stack.topic(TOPICS.cardCommandsDlq))).toEqual([]);

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
