import { randomUUID } from 'node:crypto';
import { KafkaJsMessageBus, kafkaBrokersFromEnv, Outbox, OutboxRelay, type OutboxMessage, type OutboxRelayOptions } from '../src';
import { MessagingRig } from './engine-rig';
import { until } from './harness';

jest.setTimeout(120_000);
const rig = new MessagingRig('relay', { partitions: { events: 3 }, collect: ['events'] });
const { suffix, schema } = rig;
const topic = rig.topics.events;

const relays: OutboxRelay[] = [];
const bus = new KafkaJsMessageBus({ brokers: kafkaBrokersFromEnv(), clientId: 'relay-it' });

function rows(keys: string[], perKey: number, tag: string): OutboxMessage[] {
  const out: OutboxMessage[] = [];
  for (let seq = 0; seq < perKey; seq++)
    for (const key of keys) out.push({ topic, key, event: { id: randomUUID(), type: 'test.seq.v1', source: 'it', subject: key, data: { seq, tag } } });
  return out;
}

function seqsByKey(tag: string): Map<string, number[]> {
  const m = new Map<string, number[]>();
  for (const r of rig.received) {
    const v = r.value as { data?: { seq: number; tag: string } };
    if (v.data?.tag !== tag) continue;
    m.set(r.key!, [...(m.get(r.key!) ?? []), v.data.seq]);
  }
  return m;
}

function newRelay(overrides: Partial<OutboxRelayOptions> = {}): OutboxRelay {
  const relay = new OutboxRelay({ dataSource: rig.ds, bus, pollIntervalMs: 100, leaseMs: 1_500, batchSize: 20, ...overrides });
  relays.push(relay);
  return relay;
}

beforeAll(() => rig.start());
afterAll(async () => {
  for (const r of relays) await r.stop(1_000);
  await rig.stop();
});

it('publishes rows written while no relay ran, in order per key, and marks them sent', async () => {
  const keys = ['a', 'b', 'c'].map((k) => `${k}-${suffix}`);
  await rig.ds.transaction((tx) => new Outbox().add(tx, rows(keys, 30, 'restart')));
  const relay = newRelay();
  await relay.start();
  await until(() => [...seqsByKey('restart').values()].flat().length === 90, 30_000, '90 events');
  const expected = Array.from({ length: 30 }, (_, i) => i);
  for (const k of keys) expect(seqsByKey('restart').get(k)).toEqual(expected);
  await until(async () => (await relay.backlog()) === 0, 10_000, 'rows marked sent');
  const headers = rig.received.find((r) => (r.value as { data?: { tag: string } }).data?.tag === 'restart')!.headers;
  expect(headers['content-type']).toBe('application/cloudevents+json');
  await relay.stop();
});

it("takes over rows leased by a crashed relay after the lease, without letting later rows of the key overtake them", async () => {
  const key = `leased-${suffix}`;
  await rig.ds.transaction((tx) => new Outbox().add(tx, rows([key], 6, 'lease')));
  // A relay claimed the first two rows and died before publishing them.
  await rig.ds.query(
    `UPDATE "${schema}".messaging_outbox SET claimed_by = 'dead', claimed_until = now() + interval '1500 milliseconds'
     WHERE id IN (SELECT id FROM "${schema}".messaging_outbox WHERE sent_at IS NULL AND key = $1 ORDER BY id LIMIT 2)`,
    [key],
  );
  const relay = newRelay();
  await relay.start();
  await new Promise((r) => setTimeout(r, 700));
  expect(seqsByKey('lease').get(key)).toBeUndefined(); // rows 2..5 wait for rows 0..1
  await until(() => (seqsByKey('lease').get(key)?.length ?? 0) === 6, 20_000, 'all six after the lease');
  expect(seqsByKey('lease').get(key)).toEqual([0, 1, 2, 3, 4, 5]);
  await relay.stop();
});

it('two relays at once publish every row once, each key in order; a commit wakes them', async () => {
  const a = newRelay();
  const b = newRelay();
  await Promise.all([a.start(), b.start()]);
  const keys = Array.from({ length: 10 }, (_, i) => `pair-${suffix}-${i}`);
  const all = rows(keys, 30, 'pair');
  // Written in several transactions while both relays run.
  for (let i = 0; i < all.length; i += 25) {
    await rig.ds.transaction((tx) => a.outbox.add(tx, all.slice(i, i + 25)));
    a.wake();
    b.wake();
  }
  await until(() => [...seqsByKey('pair').values()].flat().length >= 300, 30_000, '300 events');
  await new Promise((r) => setTimeout(r, 300));
  const expected = Array.from({ length: 30 }, (_, i) => i);
  for (const k of keys) expect(seqsByKey('pair').get(k)).toEqual(expected);
  expect(await a.backlog()).toBe(0);
});

it('outbox.transaction wakes the relay right after the commit, not at the next poll', async () => {
  for (const r of relays) await r.stop(1_000); // no other relay's poll may publish these rows
  const relay = newRelay({ pollIntervalMs: 60_000 }); // a poll would come far too late for this test
  await relay.start();
  await new Promise((r) => setTimeout(r, 300)); // the relay found nothing and sleeps
  const key = `wake-${suffix}`;
  const returned = await relay.outbox.transaction(rig.ds, async (tx) => {
    await relay.outbox.add(tx, rows([key], 3, 'wake'));
    // Let the wake that `add` gives before the commit run its round and find nothing.
    await new Promise((r) => setTimeout(r, 500));
    return 'result of work';
  });
  expect(returned).toBe('result of work');
  await until(() => (seqsByKey('wake').get(key)?.length ?? 0) === 3, 5_000, 'three events within 5 s of the commit');
  expect(seqsByKey('wake').get(key)).toEqual([0, 1, 2]);

  // A rolled-back transaction adds nothing (and its wake finds nothing).
  await expect(
    relay.outbox.transaction(rig.ds, async (tx) => {
      await relay.outbox.add(tx, rows([key], 1, 'wake-rollback'));
      throw new Error('work failed');
    }),
  ).rejects.toThrow('work failed');
  await relay.stop(1_000);
  expect(seqsByKey('wake-rollback').size).toBe(0);
});

it('prunes rows sent before the retention period, keeping newer sent rows and every unsent row', async () => {
  const key = `prune-${suffix}`;
  await rig.ds.transaction((tx) => new Outbox().add(tx, rows([key], 3, 'prune')));
  const ids: string[] = (
    await rig.ds.query(`SELECT id::text AS id FROM "${schema}".messaging_outbox WHERE key = $1 ORDER BY id`, [key])
  ).map((r: { id: string }) => r.id);
  expect(ids).toHaveLength(3);
  const [oldSent, recentSent, oldUnsent] = ids as [string, string, string];
  await rig.ds.query(`UPDATE "${schema}".messaging_outbox SET created_at = now() - interval '9 days', sent_at = now() - interval '8 days' WHERE id = $1`, [oldSent]);
  await rig.ds.query(`UPDATE "${schema}".messaging_outbox SET created_at = now() - interval '2 days', sent_at = now() - interval '6 days' WHERE id = $1`, [recentSent]);
  await rig.ds.query(`UPDATE "${schema}".messaging_outbox SET created_at = now() - interval '30 days' WHERE id = $1`, [oldUnsent]);
  const present = async () =>
    ((await rig.ds.query(`SELECT id::text AS id FROM "${schema}".messaging_outbox WHERE id = ANY($1::bigint[])`, [ids])) as Array<{ id: string }>)
      .map((r) => r.id)
      .sort();

  const relay = newRelay({ retentionMs: 7 * 24 * 3_600_000, pruneIntervalMs: 200 });
  await relay.start();
  await until(async () => !(await present()).includes(oldSent), 10_000, 'the row sent 8 days ago pruned');
  expect(await present()).toEqual([recentSent, oldUnsent].sort());
  // The unsent row was published, not deleted (sent rows now are far inside the retention).
  await until(() => (seqsByKey('prune').get(key) ?? []).includes(2), 10_000, 'the unsent row published');
  expect(await relay.pruneOnce()).toBe(0);
  await relay.stop(1_000);
});
