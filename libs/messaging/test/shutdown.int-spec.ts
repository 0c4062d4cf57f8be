import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { NestFactory } from '@nestjs/core';
import type { INestMicroservice } from '@nestjs/common';
import type { Consumer, Kafka, Producer } from 'kafkajs';
import type { DataSource } from 'typeorm';
import { CommandAbandoned, KafkaCommandTransport } from '../src';
import {
  collect,
  command,
  createSchemaDataSource,
  createTopics,
  deleteTopics,
  dropSchema,
  parseTestCommand,
  send,
  testKafka,
  testRejection,
  until,
  type Received,
} from './harness';
import { probe, TestHandlersModule } from './test-handlers';

/**
 * Shutdown past the grace period on the real broker and Postgres: a handler still inside its provider
 * call when the transport abandons it must record nothing afterwards, and the next instance of the
 * group must get the command again and complete it once.
 */
jest.setTimeout(120_000);
const suffix = randomUUID().slice(0, 8);
const schema = `msg_it_shut_${suffix}`;
const topics = { commands: `it.msg-shut.${suffix}.commands`, events: `it.msg-shut.${suffix}.events`, dlq: `it.msg-shut.${suffix}.commands.dlq` };
const groupId = `it-msg-shut-${suffix}`;

let kafka: Kafka;
let ds: DataSource;
let producer: Producer;
let collector: { consumer: Consumer; received: Received[] };
const apps: INestMicroservice[] = [];

async function startInstance(): Promise<KafkaCommandTransport> {
  const transport = new KafkaCommandTransport({
    dataSource: ds,
    topic: topics.commands,
    eventsTopic: topics.events,
    dlqTopic: topics.dlq,
    groupId,
    source: 'it',
    parseCommand: parseTestCommand,
    rejectionEventFor: testRejection,
    commitIntervalMs: 50,
    shutdownGraceMs: 300,
    consumer: { sessionTimeoutMs: 6_000, maxWaitTimeMs: 200 },
  });
  const app = await NestFactory.createMicroservice(TestHandlersModule, { strategy: transport, logger: false });
  apps.push(app);
  await app.listen();
  await until(() => transport.isReady(), 30_000, 'partition assignment');
  return transport;
}

const byCommand = (id: string) =>
  collector.received.filter((r) => typeof r.value === 'object' && (r.value.causationid === id || r.value.id === id));
const inboxRows = (id: string) => ds.query(`SELECT outcome FROM "${schema}".messaging_inbox WHERE command_id = $1`, [id]);
const outboxRows = (id: string) => ds.query(`SELECT topic FROM "${schema}".messaging_outbox WHERE value LIKE $1`, [`%${id}%`]);
const stateRows = (key: string) => ds.query(`SELECT seq FROM "${schema}".test_state WHERE key = $1`, [key]);

beforeAll(async () => {
  kafka = testKafka();
  await createTopics(kafka, [
    { topic: topics.commands, numPartitions: 2 },
    { topic: topics.events, numPartitions: 2 },
    { topic: topics.dlq, numPartitions: 1 },
  ]);
  ds = await createSchemaDataSource(schema);
  await ds.query(`CREATE TABLE "${schema}".test_state (key text NOT NULL, seq int NOT NULL)`);
  probe.reset();
  probe.schema = schema;
  producer = kafka.producer();
  await producer.connect();
  collector = await collect(kafka, [topics.events, topics.dlq]);
});

afterAll(async () => {
  for (const app of apps) await app.close().catch(() => undefined);
  await collector?.consumer.disconnect();
  await producer?.disconnect();
  if (ds) await dropSchema(ds, schema);
  await deleteTopics(kafka, Object.values(topics));
});

it('a handler blocked past the grace period records nothing after close; the next instance redelivers and completes it once', async () => {
  await startInstance();
  // Two commands stuck in a "provider call": one will complete late, one will fail late (non-retryable).
  const lateComplete = command('test.guarded.v1', `late-ok-${suffix}`, { key: `late-ok-${suffix}`, seq: 1 });
  const lateFailure = command('test.guarded.v1', `late-fail-${suffix}`, { key: `late-fail-${suffix}`, seq: 1 });
  for (const c of [lateComplete, lateFailure]) {
    probe.gate(c.id);
    await send(producer, topics.commands, c.subject, c);
  }
  await until(() => probe.running === 2, 20_000, 'both commands inside their handler');

  await apps[0]!.close(); // grace 300 ms, then abandoned
  probe.brokenIds.add(lateFailure.id);
  for (const c of [lateComplete, lateFailure]) probe.gates.get(c.id)!.open();
  await until(() => probe.running === 0, 10_000, 'late handlers to return');
  await new Promise((r) => setTimeout(r, 1_000)); // room for any late write or publish

  expect(probe.completeErrors.get(lateComplete.id)).toBeInstanceOf(CommandAbandoned);
  for (const c of [lateComplete, lateFailure]) {
    expect(await inboxRows(c.id)).toEqual([]);
    expect(await outboxRows(c.id)).toEqual([]); // no result, no failure event, no DLQ copy
    expect(await stateRows(c.subject)).toEqual([]);
    expect(byCommand(c.id)).toEqual([]);
  }

  // A new instance of the same group gets both again (offsets were not committed) and completes each once.
  probe.brokenIds.clear();
  await startInstance();
  await until(() => [lateComplete, lateFailure].every((c) => byCommand(c.id).length >= 1), 30_000, 'redelivered commands completed');
  await new Promise((r) => setTimeout(r, 500));
  for (const c of [lateComplete, lateFailure]) {
    expect(byCommand(c.id).map((r) => `${r.topic} ${(r.value as { type: string }).type}`)).toEqual([`${topics.events} test.worked.v1`]);
    expect(await inboxRows(c.id)).toEqual([{ outcome: 'handled' }]);
    expect(await stateRows(c.subject)).toEqual([{ seq: 1 }]);
  }
});
