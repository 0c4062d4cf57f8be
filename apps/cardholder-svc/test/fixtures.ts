/** Real Kafka + sandbox fixtures for cardholder-svc integration tests. */
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, Partitioners, type Consumer, type Producer } from 'kafkajs';
import { COMMAND_TYPES, createCommand } from '@issuing-bridge/contracts';

export const kafka = new Kafka({
  clientId: `cardholder-svc-it-${process.pid}`,
  brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
  logLevel: logLevel.NOTHING,
});

/** Commits the group's offsets at the current end of `topic`, so a new group neither replays history nor misses what comes next. */
export async function startGroupAtEnd(groupId: string, topics: string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    for (const topic of topics) {
      // A topic created a moment ago may still be electing its leaders ("not the leader"): retry briefly.
      for (let attempt = 1; ; attempt++) {
        try {
          const ends = await admin.fetchTopicOffsets(topic);
          await admin.setOffsets({ groupId, topic, partitions: ends.map((p) => ({ partition: p.partition, offset: p.high })) });
          break;
        } catch (error) {
          if (attempt >= 20) throw error;
          await new Promise((r) => setTimeout(r, 250));
        }
      }
    }
  } finally {
    await admin.disconnect();
  }
}

/** A parsed record: tests read nested event fields freely and let the assertions check them. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = Record<string, any>;

export interface Received {
  topic: string;
  key: string | null;
  value: Json;
  at: number;
}

/**
 * Topics of one test run. The service's topics are configurable so a run owns its commands: any other
 * cardholder-svc running on the shared broker (another test, `npm start`) would otherwise take them too.
 */
export function runTopics(run: string) {
  return {
    commands: `it.cardholder-svc.${run}.commands`,
    events: `it.cardholder-svc.${run}.events`,
    dlq: `it.cardholder-svc.${run}.commands.dlq`,
  };
}

export async function createTopics(topics: ReturnType<typeof runTopics>): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic: topics.commands, numPartitions: 6 },
        { topic: topics.events, numPartitions: 6 },
        { topic: topics.dlq, numPartitions: 1 },
      ],
    });
  } finally {
    await admin.disconnect();
  }
}

export async function deleteTopics(topics: ReturnType<typeof runTopics>): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: Object.values(topics) }).catch(() => undefined);
  await admin.disconnect();
}

/** Collects every record published on `topics` from now on. */
export async function collectEvents(topics: string[]): Promise<{ consumer: Consumer; received: Received[] }> {
  const groupId = `cardholder-svc-it-collector-${randomUUID()}`;
  await startGroupAtEnd(groupId, topics);
  const consumer = kafka.consumer({ groupId });
  const received: Received[] = [];
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: false });
  await consumer.run({
    eachMessage: async ({ topic, message }) => {
      let value: Json;
      try {
        value = JSON.parse(message.value?.toString('utf8') ?? '');
      } catch {
        value = { raw: message.value?.toString('utf8') };
      }
      received.push({ topic, key: message.key?.toString('utf8') ?? null, value, at: Date.now() });
    },
  });
  return { consumer, received };
}

export async function connectProducer(): Promise<Producer> {
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  return producer;
}

export function kycApply(uniqueNo: string, token: string, cardholderNo?: string) {
  return createCommand({
    type: COMMAND_TYPES.cardholderKycApply,
    source: 'urn:issuing-bridge:cardholder-svc-it',
    data: { cardholder_unique_no: uniqueNo, sumsub_share_token: token, ...(cardholderNo && { cardholder_no: cardholderNo }) },
  });
}

export async function sendCommands(producer: Producer, topic: string, commands: Array<{ key: string; value: unknown }>): Promise<void> {
  await producer.send({
    topic,
    messages: commands.map((c) => ({ key: c.key, value: typeof c.value === 'string' ? c.value : JSON.stringify(c.value) })),
  });
}

export async function until<T>(probe: () => T | undefined | false, timeoutMs: number, what: string): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
