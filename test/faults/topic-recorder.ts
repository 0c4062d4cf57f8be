// Reads every topic of libs/contracts. Live: to let the driver wait for results. Final: a fresh read of
// each topic from offset 0 to its high watermark, which is what the verdict counts.
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { TOPICS } from '@issuing-bridge/contracts';

export interface RecordedMessage {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: string;
  timestamp: number;
  headers: Record<string, string>;
  json: Record<string, any>;
}

export const ALL_TOPICS: string[] = Object.values(TOPICS);

function toRecord(topic: string, partition: number, message: any): RecordedMessage {
  const value = message.value ? message.value.toString() : '';
  let json: Record<string, any> = {};
  try {
    json = JSON.parse(value);
  } catch {
    json = {};
  }
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
  return {
    topic,
    partition,
    offset: message.offset,
    key: message.key ? message.key.toString() : null,
    value,
    timestamp: Number(message.timestamp),
    headers,
    json,
  };
}

export class LiveRecorder {
  private consumer?: Consumer;
  private readonly seen = new Set<string>();
  private listeners: ((r: RecordedMessage) => void)[] = [];
  private stopped = false;

  constructor(
    private readonly brokers: string[],
    private readonly groupId: string,
  ) {}

  onRecord(listener: (r: RecordedMessage) => void): void {
    this.listeners.push(listener);
  }

  async start(): Promise<void> {
    const kafka = new Kafka({ brokers: this.brokers, clientId: 'faults-live', logLevel: logLevel.NOTHING });
    const consumer = kafka.consumer({ groupId: this.groupId, sessionTimeout: 10_000 });
    this.consumer = consumer;
    // A crash that kafkajs does not restart itself (broker away too long): build a new consumer.
    consumer.on(consumer.events.CRASH, (event: any) => {
      if (!event.payload.restart && !this.stopped) {
        setTimeout(() => void this.restart(), 1000);
      }
    });
    await consumer.connect();
    await consumer.subscribe({ topics: ALL_TOPICS, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        const id = `${topic}/${partition}/${message.offset}`;
        if (this.seen.has(id)) return;
        this.seen.add(id);
        const record = toRecord(topic, partition, message);
        for (const l of this.listeners) l(record);
      },
    });
  }

  private async restart(): Promise<void> {
    await this.consumer?.disconnect().catch(() => undefined);
    for (;;) {
      if (this.stopped) return;
      try {
        await this.start();
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 2000));
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.consumer?.disconnect().catch(() => undefined);
  }
}

/** Every record of every topic, from offset 0 to the high watermark read at the call. */
export async function readAllTopics(brokers: string[]): Promise<RecordedMessage[]> {
  const kafka = new Kafka({ brokers, clientId: 'faults-final', logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map<string, string>();
  for (const topic of ALL_TOPICS) {
    for (const p of await admin.fetchTopicOffsets(topic)) ends.set(`${topic}/${p.partition}`, p.high);
  }
  await admin.disconnect();
  const pending = new Set([...ends].filter(([, high]) => high !== '0').map(([k]) => k));
  const records: RecordedMessage[] = [];
  if (pending.size === 0) return records;
  const consumer = kafka.consumer({ groupId: `faults-final-${Date.now()}`, maxBytes: 20 * 1024 * 1024 });
  await consumer.connect();
  await consumer.subscribe({ topics: ALL_TOPICS, fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`final topic read incomplete: ${[...pending].join(', ')}`)),
      180_000,
    );
    void consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        const key = `${topic}/${partition}`;
        const high = BigInt(ends.get(key) ?? '0');
        if (BigInt(message.offset) < high) records.push(toRecord(topic, partition, message));
        if (BigInt(message.offset) + 1n >= high && pending.delete(key) && pending.size === 0) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  return records;
}
