import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { NestFactory } from '@nestjs/core';
import type { INestMicroservice } from '@nestjs/common';
import type { Consumer, Kafka, Producer } from 'kafkajs';
import type { DataSource } from 'typeorm';
import { KafkaCommandTransport } from '../src';
import {
  collect,
  command,
  createSchemaDataSource,
  createTopics,
  deleteTopics,
  dropSchema,
  parseTestCommand,
  testKafka,
  testRejection,
  until,
  type Received,
} from './harness';
import { probe, TestHandlersModule } from './test-handlers';

jest.setTimeout(180_000);
const suffix = randomUUID().slice(0, 8);
const schema = `msg_rebal_${suffix}`;
const topics = { commands: `it.rebal.${suffix}.commands`, events: `it.rebal.${suffix}.events`, dlq: `it.rebal.${suffix}.commands.dlq` };
const groupId = `it-rebal-${suffix}`;

let kafka: Kafka;
let ds: DataSource;
let producer: Producer;
let collector: { consumer: Consumer; received: Received[] };
const instances: Array<{ app: INestMicroservice; transport: KafkaCommandTransport }> = [];

async function startInstance() {
  const transport = new KafkaCommandTransport({
    dataSource: ds,
    topic: topics.commands,
    eventsTopic: topics.events,
    dlqTopic: topics.dlq,
    groupId,
    source: 'it',
    maxInFlight: 16,
    parseCommand: parseTestCommand,
    rejectionEventFor: testRejection,
    commitIntervalMs: 50,
  });
  const app = await NestFactory.createMicroservice(TestHandlersModule, { strategy: transport, logger: false });
  await app.listen();
  instances.push({ app, transport });
  return transport;
}

beforeAll(async () => {
  kafka = testKafka();
  await createTopics(kafka, [
    { topic: topics.commands, numPartitions: 6 },
    { topic: topics.events, numPartitions: 3 },
    { topic: topics.dlq, numPartitions: 1 },
  ]);
  ds = await createSchemaDataSource(schema);
  await ds.query(`CREATE TABLE "${schema}".test_state (key text NOT NULL, seq int NOT NULL)`);
  probe.reset();
  probe.schema = schema;
  producer = kafka.producer();
  await producer.connect();
  collector = await collect(kafka, [topics.events]);
});

afterAll(async () => {
  for (const i of instances) await i.app.close();
  await collector?.consumer.disconnect();
  await producer?.disconnect();
  if (ds) await dropSchema(ds, schema);
  await deleteTopics(kafka, Object.values(topics));
});

it('two instances through a rebalance: every command takes effect once, each key in order', async () => {
  const a = await startInstance();
  await until(() => a.isReady(), 30_000, 'first instance assigned');
  const keys = Array.from({ length: 30 }, (_, i) => `rb-${suffix}-${i}`);
  const ids: string[] = [];
  const sendRound = async (seq: number) => {
    const messages = keys.map((key) => {
      const c = command('test.work.v1', key, { key, seq, sleepMs: 250 });
      ids.push(c.id);
      return { key, value: JSON.stringify(c) };
    });
    await producer.send({ topic: topics.commands, messages });
  };
  for (let seq = 0; seq < 5; seq++) await sendRound(seq);
  const b = await startInstance(); // joins mid-stream: the group rebalances while work is in flight
  let bBusy = 0;
  const sampler = setInterval(() => (bBusy = Math.max(bBusy, b.inFlight)), 20);
  for (let seq = 5; seq < 10; seq++) {
    await sendRound(seq);
    await new Promise((r) => setTimeout(r, 100));
  }
  await until(() => a.isReady() && b.isReady(), 60_000, 'both instances assigned');
  await until(() => new Set(collector.received.map((r) => (r.value as { causationid: string }).causationid)).size === 300, 90_000, '300 events');
  await new Promise((r) => setTimeout(r, 500));
  clearInterval(sampler);

  expect(bBusy).toBeGreaterThan(0); // the second instance really took over partitions with work
  expect(collector.received).toHaveLength(300); // no duplicates
  for (const key of keys) {
    const seqs = collector.received.filter((r) => r.key === key).map((r) => (r.value as { data: { seq: number } }).data.seq);
    expect(seqs).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  }
  const state = await ds.query(`SELECT count(*)::int AS n FROM "${schema}".test_state`);
  expect(state[0].n).toBe(300); // state written once per command
  expect(probe.calls).toHaveLength(300);
});
