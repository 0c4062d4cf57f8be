import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { waitFor } from '../../../../test/support';

export interface TappedRecord {
  topic: string;
  key: string | null;
  value: string;
  headers: Record<string, string>;
  json: Record<string, unknown>;
}

/**
 * Reads topics from the beginning with a throwaway consumer group and keeps every record, so a test
 * can assert exactly what was published (filtered by its own unique keys / ids).
 */
export class TopicTap {
  readonly records: TappedRecord[] = [];
  private readonly consumer: Consumer;
  private readonly kafka: Kafka;

  constructor(brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',')) {
    this.kafka = new Kafka({ brokers, clientId: 'gateway-test-tap', logLevel: logLevel.NOTHING });
    this.consumer = this.kafka.consumer({ groupId: `gateway-test-tap-${randomUUID()}` });
  }

  async start(topics: string[]): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topics, fromBeginning: true });
    let joined = false;
    this.consumer.on(this.consumer.events.GROUP_JOIN, () => (joined = true));
    await this.consumer.run({
      eachMessage: ({ topic, message }) => {
        const value = message.value?.toString('utf8') ?? '';
        let json: Record<string, unknown> = {};
        try {
          json = JSON.parse(value) as Record<string, unknown>;
        } catch {
          // Kept as text: a test can still scan it.
        }
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) {
          if (v !== undefined) headers[k] = String(Array.isArray(v) ? v[0] : v);
        }
        this.records.push({
          topic,
          key: message.key?.toString('utf8') ?? null,
          value,
          headers,
          json,
        });
        return Promise.resolve();
      },
    });
    await waitFor(() => joined, { timeoutMs: 30000, intervalMs: 100, description: 'tap joined' });
  }

  matching(predicate: (record: TappedRecord) => boolean): TappedRecord[] {
    return this.records.filter(predicate);
  }

  /** Waits until `predicate` matches at least `count` records, then returns the matches. */
  async waitForRecords(
    predicate: (record: TappedRecord) => boolean,
    count = 1,
    timeoutMs = 20000,
  ): Promise<TappedRecord[]> {
    return waitFor(
      () => {
        const found = this.matching(predicate);
        return found.length >= count ? found : undefined;
      },
      { timeoutMs, intervalMs: 100, description: `${count} matching record(s)` },
    );
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
  }
}

/** A plain producer for tests that play the part of another service (publishing events). */
export async function publishRaw(
  topic: string,
  key: string,
  value: unknown,
  brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
): Promise<void> {
  const kafka = new Kafka({
    brokers,
    clientId: 'gateway-test-producer',
    logLevel: logLevel.NOTHING,
  });
  const producer = kafka.producer();
  await producer.connect();
  try {
    await producer.send({
      topic,
      messages: [
        {
          key,
          value: JSON.stringify(value),
          headers: { 'content-type': 'application/cloudevents+json' },
        },
      ],
    });
  } finally {
    await producer.disconnect();
  }
}
