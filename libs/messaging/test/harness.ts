/** Real Kafka + Postgres fixtures for the engine's integration tests (throwaway schema and topics). */
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { kafkaBrokersFromEnv, MESSAGING_ENTITIES, messagingTablesUp } from '../src';
import type { ParseCommand, RejectionEventBuilder } from '../src';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/issuing_bridge';

export async function ensureDatabase(): Promise<void> {
  const url = new URL(DATABASE_URL);
  const name = url.pathname.slice(1);
  url.pathname = '/postgres';
  const c = new Client({ connectionString: url.toString() });
  await c.connect();
  try {
    await c.query(`CREATE DATABASE "${name}"`);
  } catch (e) {
    if ((e as { code?: string }).code !== '42P04') throw e; // already exists
  } finally {
    await c.end();
  }
}

export async function createSchemaDataSource(schema: string): Promise<DataSource> {
  await ensureDatabase();
  const ds = new DataSource({ type: 'postgres', url: DATABASE_URL, schema, entities: MESSAGING_ENTITIES, poolSize: 10 });
  await ds.initialize();
  const qr = ds.createQueryRunner();
  await messagingTablesUp(qr, schema);
  await qr.release();
  return ds;
}

export async function dropSchema(ds: DataSource, schema: string): Promise<void> {
  await ds.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await ds.destroy();
}

export function testKafka(): Kafka {
  return new Kafka({ brokers: kafkaBrokersFromEnv(), clientId: 'messaging-it', logLevel: logLevel.NOTHING });
}

export async function createTopics(kafka: Kafka, topics: Array<{ topic: string; numPartitions: number }>): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics, waitForLeaders: true });
  await admin.disconnect();
}

export async function deleteTopics(kafka: Kafka, topics: string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics }).catch(() => undefined);
  await admin.disconnect();
}

export interface Received {
  topic: string;
  partition: number;
  key: string | null;
  value: Record<string, unknown> | string;
  headers: Record<string, string>;
}

/** Collects everything published on `topics` from the beginning. */
export async function collect(kafka: Kafka, topics: string[]): Promise<{ consumer: Consumer; received: Received[] }> {
  const consumer = kafka.consumer({ groupId: `it-collector-${randomUUID()}` });
  const received: Received[] = [];
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      const text = message.value?.toString('utf8') ?? '';
      let value: Record<string, unknown> | string = text;
      try {
        value = JSON.parse(text);
      } catch {
        /* raw DLQ copies may not be JSON */
      }
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(Array.isArray(v) ? v[0] : v);
      received.push({ topic, partition, key: message.key?.toString('utf8') ?? null, value, headers });
    },
  });
  return { consumer, received };
}

export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 30_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export function command(type: string, key: string, data: Record<string, unknown>, id: string = randomUUID()) {
  return { specversion: '1.0', id, source: 'it', type, subject: key, time: new Date().toISOString(), data };
}

export async function send(producer: Producer, topic: string, key: string | null, value: unknown, headers?: Record<string, string>) {
  await producer.send({ topic, messages: [{ key, value: typeof value === 'string' ? value : JSON.stringify(value), headers }] });
}

/** A small stand-in for contracts' parseCommand: test types, the same result shape. */
export const parseTestCommand: ParseCommand = (raw) => {
  const r = raw as Record<string, unknown> | null;
  if (!r || typeof r !== 'object') return { ok: false, violations: [{ field: '$', rule: 'type', message: '$ must be an object' }] };
  const violations = [];
  const commandId = typeof r.id === 'string' && /^[0-9a-f-]{36}$/.test(r.id) ? r.id : undefined;
  if (!commandId) violations.push({ field: 'id', rule: 'uuid', message: 'id must be a UUID' });
  if (typeof r.type !== 'string' || !r.type.startsWith('test.')) violations.push({ field: 'type', rule: 'enum', message: 'type must be a test type' });
  if (typeof r.data !== 'object' || r.data === null) violations.push({ field: 'data', rule: 'required', message: 'data is required' });
  else if (typeof (r.data as Record<string, unknown>).key !== 'string')
    violations.push({ field: 'data.key', rule: 'required', message: 'data.key is required' });
  if (violations.length) return { ok: false, commandId, violations, ...(typeof r.type === 'string' && { commandType: r.type }) };
  return { ok: true, command: r as never };
};

export const testRejection: RejectionEventBuilder = (input) => {
  if (input.subject?.startsWith('poison-builder')) throw new Error('rejection builder broke (test)');
  return testRejectionEvent(input);
};

const testRejectionEvent: RejectionEventBuilder = (input) => ({
  specversion: '1.0',
  id: randomUUID(),
  source: 'it',
  type: 'command.rejected.v1',
  subject: input.subject ?? 'unknown',
  data: { command_id: input.commandId ?? null, command_type: input.commandType ?? null, violations: input.violations },
});
