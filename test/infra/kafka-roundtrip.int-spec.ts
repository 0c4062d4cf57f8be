// Proves the local broker works with the client the services use (kafkajs 2.2.4 against Kafka 4.x):
// admin, idempotent producer, consumer group. Also that a second infra:up is harmless.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { Kafka, Partitioners, logLevel, type Admin } from 'kafkajs';
import { TOPIC_PARTITIONS } from '../../libs/contracts/src/topics';

const execFileAsync = promisify(execFile);
const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const kafka = new Kafka({
  clientId: `infra-test-${process.pid}`,
  brokers,
  logLevel: logLevel.WARN,
});
const repoRoot = path.resolve(__dirname, '..', '..');

describe('local Kafka broker', () => {
  let admin: Admin;
  const topic = `infra-test.roundtrip.${randomUUID()}`;

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic, numPartitions: 3, replicationFactor: 1 }],
    });
  });

  afterAll(async () => {
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  });

  it('delivers messages from an idempotent producer to a consumer group, in order per key', async () => {
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    const groupId = `infra-test-${randomUUID()}`;
    const consumer = kafka.consumer({ groupId });
    const sent = Array.from({ length: 20 }, (_, i) => ({
      key: `key-${i % 4}`,
      value: `message-${i}`,
    }));
    const received: { key: string; value: string; partition: number }[] = [];
    try {
      await producer.connect();
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      const allReceived = new Promise<void>((resolve) => {
        void consumer.run({
          eachMessage: async ({ message, partition }) => {
            received.push({ key: String(message.key), value: String(message.value), partition });
            if (received.length === sent.length) resolve();
          },
        });
      });
      await producer.send({ topic, acks: -1, messages: sent });
      await allReceived;
    } finally {
      await producer.disconnect();
      await consumer.disconnect();
    }

    expect(received.map((m) => m.value).sort()).toEqual(sent.map((m) => m.value).sort());
    for (const key of ['key-0', 'key-1', 'key-2', 'key-3']) {
      const forKey = received.filter((m) => m.key === key);
      expect(new Set(forKey.map((m) => m.partition)).size).toBe(1);
      expect(forKey.map((m) => m.value)).toEqual(
        sent.filter((m) => m.key === key).map((m) => m.value),
      );
    }
    // The group committed its offsets: the broker's group coordinator works with this client.
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const total = committed.partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
    expect(total).toBe(sent.length);
  });

  it('infra:up a second time exits 0 and leaves every project topic as it was', async () => {
    const topics = Object.keys(TOPIC_PARTITIONS);
    const before = await admin.fetchTopicMetadata({ topics });
    const started = Date.now();
    const { stdout } = await execFileAsync(
      process.execPath,
      ['-r', '@swc-node/register', 'scripts/infra/index.ts', 'up'],
      { cwd: repoRoot, env: process.env },
    ); // rejects on a non-zero exit code
    const after = await admin.fetchTopicMetadata({ topics });

    expect(stdout).toContain('infrastructure up');
    expect(Date.now() - started).toBeLessThan(30_000);
    const shape = (m: typeof before) =>
      m.topics
        .map((t) => ({ name: t.name, partitions: t.partitions.length }))
        .sort((a, b) => a.name.localeCompare(b.name));
    expect(shape(after)).toEqual(shape(before));
    for (const t of after.topics) {
      expect(t.partitions.length).toBe(TOPIC_PARTITIONS[t.name as keyof typeof TOPIC_PARTITIONS]);
    }
  });
});
