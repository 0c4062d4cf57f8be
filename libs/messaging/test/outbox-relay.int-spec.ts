import { randomUUID } from 'node:crypto';
import type { Consumer, Kafka } from 'kafkajs';
import type { DataSource } from 'typeorm';
import { KafkaJsMessageBus, kafkaBrokersFromEnv, Outbox, OutboxRelay, type OutboxMessage } from '../src';
import { collect, createSchemaDataSource, createTopics, deleteTopics, dropSchema, testKafka, until, type Received } from './harness';

jest.setTimeout(120_000);
const suffix = randomUUID().slice(0, 8);
const schema = `msg_relay_${suffix}`;
const topic = `it.relay.${suffix}.events`;

let kafka: Kafka;
let ds: DataSource;
let collector: { consumer: Consumer; received: Received[] };
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
  for (const r of collector.received) {
    const v = r.value as { data?: { seq: number; tag: string } };
    if (v.data?.tag !== tag) continue;
    m.set(r.key!, [...(m.get(r.key!) ?? []), v.data.seq]);
  }
  return m;
}

function newRelay(): OutboxRelay {
  const relay = new OutboxRelay({ dataSource: ds, bus, pollIntervalMs: 100, leaseMs: 1_500, batchSize: 20 });
  relays.push(relay);
  return relay;
}

beforeAll(async () => {
  kafka = testKafka();
  await createTopics(kafka, [{ topic, numPartitions: 3 }]);
  ds = await createSchemaDataSource(schema);
  collector = await collect(kafka, [topic]);
});

afterAll(async () => {
  for (const r of relays) await r.stop(1_000);
  await collector?.consumer.disconnect();
  if (ds) await dropSchema(ds, schema);
  await deleteTopics(kafka, [topic]);
});

it('publishes rows written while no relay ran, in order per key, and marks them sent', async () => {
  const keys = ['a', 'b', 'c'].map((k) => `${k}-${suffix}`);
  await ds.transaction((tx) => new Outbox().add(tx, rows(keys, 30, 'restart')));
  const relay = newRelay();
  await relay.start();
  await until(() => [...seqsByKey('restart').values()].flat().length === 90, 30_000, '90 events');
  const expected = Array.from({ length: 30 }, (_, i) => i);
  for (const k of keys) expect(seqsByKey('restart').get(k)).toEqual(expected);
  await until(async () => (await relay.backlog()) === 0, 10_000, 'rows marked sent');
  const headers = collector.received.find((r) => (r.value as { data?: { tag: string } }).data?.tag === 'restart')!.headers;
  expect(headers['content-type']).toBe('application/cloudevents+json');
  await relay.stop();
});

it("takes over rows leased by a crashed relay after the lease, without letting later rows of the key overtake them", async () => {
  const key = `leased-${suffix}`;
  await ds.transaction((tx) => new Outbox().add(tx, rows([key], 6, 'lease')));
  // A relay claimed the first two rows and died before publishing them.
  await ds.query(
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
    await ds.transaction((tx) => a.outbox.add(tx, all.slice(i, i + 25)));
    a.wake();
    b.wake();
  }
  await until(() => [...seqsByKey('pair').values()].flat().length >= 300, 30_000, '300 events');
  await new Promise((r) => setTimeout(r, 300));
  const expected = Array.from({ length: 30 }, (_, i) => i);
  for (const k of keys) expect(seqsByKey('pair').get(k)).toEqual(expected);
  expect(await a.backlog()).toBe(0);
});
