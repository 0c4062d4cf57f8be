import { CompressionTypes, Kafka, logLevel, type KafkaConfig, type Consumer, type Producer } from 'kafkajs';
import type {
  BusConsumer,
  BusMessage,
  BusProducer,
  ConsumerLifecycleEvent,
  ConsumerOptions,
  MessageBus,
  ProducerRecord,
  TopicPartitionOffset,
} from './message-bus';

function headersToStrings(headers: Record<string, unknown> | undefined): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    const first = Array.isArray(v) ? v[0] : v;
    out[k] = first === undefined || first === null ? undefined : String(first);
  }
  return out;
}

/** Waits without losing the group: heartbeats every second (throws on rebalance, which ends the batch). */
async function waitWithHeartbeat(done: Promise<void>, heartbeat: () => Promise<void>): Promise<void> {
  let finished = false;
  void done.finally(() => (finished = true));
  while (!finished) {
    await Promise.race([done, new Promise((r) => setTimeout(r, 1_000))]);
    if (!finished) await heartbeat();
  }
}

class KafkaJsConsumer implements BusConsumer {
  private readonly paused = new Set<string>();
  constructor(private readonly consumer: Consumer) {}

  connect(): Promise<void> {
    return this.consumer.connect();
  }
  async subscribe(topics: string[], fromBeginning = true): Promise<void> {
    await this.consumer.subscribe({ topics, fromBeginning });
  }
  async run(onMessage: (message: BusMessage) => Promise<void> | void): Promise<void> {
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 4,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        for (const m of batch.messages) {
          // A paused topic stops mid-batch; unresolved messages are fetched again on resume.
          if (!isRunning() || isStale() || this.paused.has(batch.topic)) break;
          const backPressure = onMessage({
            topic: batch.topic,
            partition: batch.partition,
            offset: m.offset,
            key: m.key ?? null,
            value: m.value ?? null,
            headers: headersToStrings(m.headers),
            highWatermark: batch.highWatermark,
          });
          resolveOffset(m.offset);
          if (backPressure) await waitWithHeartbeat(backPressure, heartbeat);
        }
        await heartbeat();
      },
    });
  }
  pause(topic: string): void {
    this.paused.add(topic);
    this.consumer.pause([{ topic }]);
  }
  resume(topic: string): void {
    this.paused.delete(topic);
    this.consumer.resume([{ topic }]);
  }
  commit(offsets: TopicPartitionOffset[]): Promise<void> {
    return this.consumer.commitOffsets(offsets);
  }
  onLifecycle(listener: (event: ConsumerLifecycleEvent) => void): void {
    const e = this.consumer.events;
    this.consumer.on(e.REBALANCING, () => listener({ kind: 'rebalancing' }));
    this.consumer.on(e.GROUP_JOIN, (ev) =>
      listener({ kind: 'assigned', assignment: ev.payload.memberAssignment as Record<string, number[]> }),
    );
    this.consumer.on(e.CRASH, (ev) =>
      listener({ kind: 'crash', error: ev.payload.error, restart: ev.payload.restart }),
    );
    this.consumer.on(e.STOP, () => listener({ kind: 'stop' }));
  }
  disconnect(): Promise<void> {
    return this.consumer.disconnect();
  }
}

class KafkaJsProducer implements BusProducer {
  constructor(private readonly producer: Producer) {}
  connect(): Promise<void> {
    return this.producer.connect();
  }
  async send(records: ProducerRecord[]): Promise<void> {
    if (records.length === 0) return;
    // One request per call keeps the given order; the idempotent producer keeps it across retries.
    const byTopic = new Map<string, ProducerRecord[]>();
    for (const r of records) byTopic.set(r.topic, [...(byTopic.get(r.topic) ?? []), r]);
    await this.producer.sendBatch({
      compression: CompressionTypes.None,
      topicMessages: [...byTopic].map(([topic, rs]) => ({
        topic,
        messages: rs.map((r) => ({ key: r.key, value: r.value, headers: r.headers })),
      })),
    });
  }
  disconnect(): Promise<void> {
    return this.producer.disconnect();
  }
}

/** Fetch wait of the kafkajs adapter when `maxWaitTimeMs` is not given. */
export const DEFAULT_FETCH_MAX_WAIT_MS = 1_000;

/** kafkajs behind the MessageBus interface. */
export class KafkaJsMessageBus implements MessageBus {
  private readonly kafka: Kafka;
  constructor(config: { brokers: string[]; clientId?: string } & Partial<KafkaConfig>) {
    this.kafka = new Kafka({ logLevel: logLevel.WARN, clientId: 'issuing-bridge', ...config });
  }
  createConsumer(options: ConsumerOptions): BusConsumer {
    const sessionTimeout = options.sessionTimeoutMs ?? 30_000;
    return new KafkaJsConsumer(
      this.kafka.consumer({
        groupId: options.groupId,
        sessionTimeout,
        // kafkajs defaults to 3 s; a short session needs heartbeats at a third of it at most.
        heartbeatInterval: options.heartbeatIntervalMs ?? Math.min(3_000, Math.floor(sessionTimeout / 3)),
        rebalanceTimeout: options.rebalanceTimeoutMs ?? 60_000,
        // kafkajs waits up to 5 s per empty fetch, and disconnect waits for the running fetch.
        maxWaitTimeInMs: options.maxWaitTimeMs ?? DEFAULT_FETCH_MAX_WAIT_MS,
        allowAutoTopicCreation: false,
      }),
    );
  }
  createProducer(options: { idempotent?: boolean } = {}): BusProducer {
    const idempotent = options.idempotent ?? true;
    return new KafkaJsProducer(
      this.kafka.producer(
        idempotent ? { idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false } : {},
      ),
    );
  }
  /** The raw client, for admin tasks in scripts and tests. */
  unwrap(): Kafka {
    return this.kafka;
  }
}

export function kafkaBrokersFromEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',').map((b) => b.trim()).filter(Boolean);
}
