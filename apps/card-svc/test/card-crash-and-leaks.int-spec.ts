import { randomUUID } from 'node:crypto';
import { COMMAND_TYPES, EVENT_TYPES } from '@issuing-bridge/contracts';
import { waitFor } from '../../../test/support';
import { CardSvcRig, sealAll } from './harness';

// Known plaintexts: after the run they must appear nowhere (topics, tables, logs).
const CVV = '904';
const WRONG_CVV_RUN = '318'; // used with a wrong last four: the failure path must not leak either
const PIN = '270418';
const WEAK_PIN = '987654';
const SECRETS = [CVV, WRONG_CVV_RUN, PIN, WEAK_PIN];

const rig = new CardSvcRig();
// The SIGKILLed member sends no LeaveGroup: its partitions are handed over once its session ends.
const FAST_TAKEOVER = { CARD_CONSUMER_SESSION_TIMEOUT_MS: '6000' };
let sealed: Record<string, string>;

const physicalAddress = {
  first_name: 'Grace',
  last_name: 'Hopper',
  phone_code: '1',
  phone: '2025550100',
  postal_code: '20500',
  country: 'US',
  state: 'DC',
  city: 'Washington',
  address_line1: '1600 Pennsylvania Ave',
};

beforeAll(async () => {
  sealed = sealAll(SECRETS);
  await rig.start();
  await rig.startService(FAST_TAKEOVER);
}, 180_000);

afterAll(async () => {
  await rig.stop();
}, 60_000);

async function apply(cardType: 'Virtual' | 'Physical'): Promise<{ id: string; cardUniqueNo: string }> {
  const holder = await rig.approvedCardholder();
  const cardUniqueNo = `CARD_K_${randomUUID()}`;
  const id = await rig.send(COMMAND_TYPES.cardApply, {
    card_unique_no: cardUniqueNo,
    cardholder_no: holder,
    card_type: cardType,
    package_no: cardType === 'Virtual' ? 'PKG_VIRTUAL_001' : 'PKG_PHYSICAL_001',
    ...(cardType === 'Physical' && { address_info: physicalAddress }),
  });
  return { id, cardUniqueNo };
}

/** Whole-token match: the value not glued to other digits, letters or time/number punctuation. */
function containsToken(text: string, value: string): boolean {
  return new RegExp(`(?<![\\w.:+-])${value}(?![\\w.:+-])`).test(text);
}

it('Must show 5: SIGKILL mid-apply, after the provider created the card → exactly one card at the sandbox and in the table after restart', async () => {
  // A first command, so the consumer group has committed offsets before the crash.
  const warm = await apply('Virtual');
  await rig.result(warm.id);
  await new Promise((r) => setTimeout(r, 1_000));

  // card/apply answers at once; the card-detail call that follows hangs, so the crash lands between
  // the provider's side effect and our commit.
  rig.sandbox.addFault({ kind: 'latency', endpoint: 'card.detail', latencyMs: 30_000 });
  const { id, cardUniqueNo } = await apply('Virtual');
  await waitFor(() => [...rig.sandbox.state.cards.values()].some((c) => c.card_unique_no === cardUniqueNo), {
    timeoutMs: 20_000,
    description: 'the card to exist at the sandbox',
  });
  await waitFor(() => (rig.sandbox.faults()[0]?.hits ?? 0) >= 1, { timeoutMs: 10_000, description: 'card-svc waiting on card detail' });
  expect(await rig.stopService('SIGKILL')).toBe('SIGKILL');
  expect(rig.eventsFor(id)).toHaveLength(0);
  expect(await rig.query(`SELECT 1 FROM "card".cards WHERE card_unique_no = $1`, [cardUniqueNo])).toHaveLength(0);
  rig.sandbox.clearFaults();

  await rig.startService(FAST_TAKEOVER);
  const applied = await rig.result(id, 60_000);
  expect(applied.value.type).toBe(EVENT_TYPES.cardApplied);
  await rig.waitStatus(cardUniqueNo, 'Activated');
  // the redelivered apply met the provider's refusal and completed by looking the card up
  const out = rig.service!.output();
  expect(out.stdout + out.stderr).toContain(`card.apply ${id}: card ${String(applied.value.data.card_no)} already exists at the provider`);

  const atSandbox = [...rig.sandbox.state.cards.values()].filter((c) => c.card_unique_no === cardUniqueNo);
  expect(atSandbox).toHaveLength(1);
  const rows = await rig.query(`SELECT card_no FROM "card".cards WHERE card_unique_no = $1`, [cardUniqueNo]);
  expect(rows).toEqual([{ card_no: atSandbox[0]!.card_no }]);
  expect(rig.eventsFor(id).filter((e) => e.value.type === EVENT_TYPES.cardApplied)).toHaveLength(1);
  expect(rig.statusChanges(cardUniqueNo).filter((e) => e.value.data.before === null)).toHaveLength(1);
});

it('Must show 6: no plaintext CVV or PIN in any topic message, card-schema row or service log line', async () => {
  // Activations and PIN sets with the known values, successes and failures.
  const card = await apply('Physical');
  await rig.result(card.id);
  await rig.waitStatus(card.cardUniqueNo, 'ToActivate');
  const [{ card_last_no: lastNo }] = await rig.query<{ card_last_no: string }>(`SELECT card_last_no FROM "card".cards WHERE card_unique_no = $1`, [card.cardUniqueNo]);
  const wrongLast = lastNo === '0000' ? '1111' : '0000';
  const failedActivation = await rig.send(COMMAND_TYPES.cardActivate, { card_unique_no: card.cardUniqueNo, card_last_no: wrongLast, cvv_jwe: sealed[WRONG_CVV_RUN] });
  expect((await rig.result(failedActivation)).value.data.code).toBe(4006);
  const activation = await rig.send(COMMAND_TYPES.cardActivate, { card_unique_no: card.cardUniqueNo, card_last_no: lastNo, cvv_jwe: sealed[CVV] });
  expect((await rig.result(activation)).value.type).toBe(EVENT_TYPES.cardActivated);
  const weak = await rig.send(COMMAND_TYPES.cardPinSet, { card_unique_no: card.cardUniqueNo, pin_jwe: sealed[WEAK_PIN] });
  expect((await rig.result(weak)).value.data.code).toBe('weak_pin');
  const pinSet = await rig.send(COMMAND_TYPES.cardPinSet, { card_unique_no: card.cardUniqueNo, pin_jwe: sealed[PIN] });
  expect((await rig.result(pinSet)).value.type).toBe(EVENT_TYPES.cardPinSetSucceeded);
  expect(await rig.stopService('SIGTERM')).toBe(0); // flushes and keeps its output

  // The scanner itself must be able to see a leak.
  expect(containsToken('{"cvv":"904"}', CVV)).toBe(true);
  expect(containsToken('pin=270418 ', PIN)).toBe(true);
  expect(containsToken('"time":"2026-11-26T07:00:00.904Z"', CVV)).toBe(false);

  // 1. every message of every topic on the broker
  const admin = rig.kafka.admin();
  await admin.connect();
  const topics = (await admin.listTopics()).filter((t) => !t.startsWith('__'));
  const ends = new Map<string, Map<number, bigint>>();
  for (const topic of topics) {
    const offsets = await admin.fetchTopicOffsets(topic);
    ends.set(topic, new Map(offsets.map((o) => [o.partition, BigInt(o.high)])));
  }
  const remaining = new Set([...ends].flatMap(([t, ps]) => [...ps].filter(([, high]) => high > 0n).map(([p]) => `${t}/${p}`)));
  const topicLeaks: string[] = [];
  let messages = 0;
  const reader = rig.kafka.consumer({ groupId: `it-card-svc-leakscan-${rig.suffix}`, maxBytes: 10 * 1024 * 1024 });
  await reader.connect();
  await reader.subscribe({ topics, fromBeginning: true });
  await reader.run({
    eachMessage: async ({ topic, partition, message }) => {
      messages++;
      const text = [message.key?.toString() ?? '', message.value?.toString() ?? '', ...Object.values(message.headers ?? {}).map(String)].join('\n');
      for (const secret of SECRETS) if (containsToken(text, secret)) topicLeaks.push(`${topic}/${partition}@${message.offset}`);
      if (BigInt(message.offset) + 1n >= ends.get(topic)!.get(partition)!) remaining.delete(`${topic}/${partition}`);
    },
  });
  // Other tests delete their throwaway topics meanwhile: those are no longer there to read.
  await waitFor(
    async () => {
      if (remaining.size === 0) return true;
      const alive = new Set(await admin.listTopics());
      for (const tp of [...remaining]) if (!alive.has(tp.slice(0, tp.lastIndexOf('/')))) remaining.delete(tp);
      return remaining.size === 0;
    },
    { timeoutMs: 120_000, intervalMs: 1_000, description: `reading every topic to its end (left: ${[...remaining].slice(0, 5).join(', ')})` },
  );
  await reader.disconnect();
  await admin.disconnect();
  expect(topics).toContain(rig.topics.commands);
  expect(messages).toBeGreaterThan(10);
  expect(topicLeaks).toEqual([]);

  // 2. every row of every table of the card schema
  const tables = await rig.query<{ table_name: string }>(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'card'`);
  expect(tables.map((t) => t.table_name)).toEqual(expect.arrayContaining(['cards', 'messaging_inbox', 'messaging_outbox']));
  const rowLeaks: string[] = [];
  let rows = 0;
  for (const { table_name } of tables) {
    for (const row of await rig.query<{ j: string }>(`SELECT row_to_json(t)::text AS j FROM "card"."${table_name}" t`)) {
      rows++;
      for (const secret of SECRETS) if (containsToken(row.j, secret)) rowLeaks.push(`${table_name}: ${secret}`);
    }
  }
  expect(rows).toBeGreaterThan(10);
  expect(rowLeaks).toEqual([]);

  // 3. every captured log line of the service (both runs, debug level)
  const logs = rig.logs.join('\n');
  expect(logs).toContain(weak); // the capture holds the service's lines about these commands
  const logLeaks = logs.split('\n').filter((line) => SECRETS.some((s) => containsToken(line, s)));
  expect(logLeaks).toEqual([]);
});
