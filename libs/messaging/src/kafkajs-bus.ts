import { Logger } from '@nestjs/common';
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
import { errorFields } from './errors';
import type { MessagingLogger } from './outbox';

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
  // Both branches: a bare `done.finally(…)` would be a second, unhandled copy of a rejection (the
  // handler's commit failing while the broker is down), which kills the process. The caller still
  // sees the rejection through the race below.
  done.then(
    () => (finished = true),
    () => (finished = true),
  );
  while (!finished) {
    await Promise.race([done, new Promise((r) => setTimeout(r, 1_000))]);
    if (!finished) await heartbeat();
  }
}

/** Backoff of the adapter's own restarts after a crash kafkajs does not restart. */
export interface ConsumerRestartOptions {
  initialDelayMs?: number; // default 1000
  maxDelayMs?: number; // default 30000
}

class KafkaJsConsumer implements BusConsumer {
  private readonly paused = new Set<string>();
  private subscription?: { topics: string[]; fromBeginning: boolean };
  private onMessage?: (message: BusMessage) => Promise<void> | void;
  /** Set by our own disconnect: a crash after it is not restarted. */
  private closing = false;
  private restartTimer?: NodeJS.Timeout;
  private restartAttempt = 0;
  private readonly initialDelayMs: number;
  private readonly maxDelayMs: number;

  constructor(
    private readonly consumer: Consumer,
    private readonly groupId: string,
    private readonly log: MessagingLogger,
    restart: ConsumerRestartOptions = {},
  ) {
    this.initialDelayMs = restart.initialDelayMs ?? 1_000;
    this.maxDelayMs = restart.maxDelayMs ?? 30_000;
    const e = consumer.events;
    // kafkajs restarts only retriable crashes; a non-retriable wrapper around a connection error
    // (broker away > ~10 s) leaves the consumer dead. We restart those ourselves.
    consumer.on(e.CRASH, (ev) => {
      if (!ev.payload.restart) this.scheduleRestart(ev.payload.error);
    });
    consumer.on(e.GROUP_JOIN, () => (this.restartAttempt = 0));
  }

  connect(): Promise<void> {
    this.closing = false;
    return this.consumer.connect();
  }
  async subscribe(topics: string[], fromBeginning = true): Promise<void> {
    this.subscription = { topics, fromBeginning };
    await this.consumer.subscribe({ topics, fromBeginning });
  }
  async run(onMessage: (message: BusMessage) => Promise<void> | void): Promise<void> {
    this.onMessage = onMessage;
    await this.runOnce(onMessage);
  }

  private scheduleRestart(cause: unknown): void {
    if (this.closing || !this.onMessage || this.restartTimer) return;
    const delayMs = Math.min(this.maxDelayMs, this.initialDelayMs * 2 ** this.restartAttempt);
    this.restartAttempt++;
    this.log.error({
      msg: 'consumer crashed and kafkajs will not restart it; restarting',
      groupId: this.groupId,
      attempt: this.restartAttempt,
      delayMs,
      err: errorFields(cause),
    });
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      // Every failure is caught here: a rejection escaping a timer would kill the process.
      this.restart().catch((err: unknown) => this.scheduleRestart(err));
    }, delayMs);
  }

  /** Reconnect, re-subscribe and re-run on the same kafkajs consumer (its listeners stay attached). */
  private async restart(): Promise<void> {
    if (this.closing || !this.onMessage || !this.subscription) return;
    await this.consumer.connect();
    await this.consumer.subscribe(this.subscription);
    // A failed join inside run() is reported as another crash event (scheduled from the listener).
    await this.runOnce(this.onMessage);
    // If run() crashed again before the group existed, the next restart re-applies them.
    for (const topic of this.paused) this.whileRunning(() => this.consumer.pause([{ topic }]));
  }

  private async runOnce(onMessage: (message: BusMessage) => Promise<void> | void): Promise<void> {
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
    this.whileRunning(() => this.consumer.pause([{ topic }]));
  }
  resume(topic: string): void {
    this.paused.delete(topic);
    this.whileRunning(() => this.consumer.resume([{ topic }]));
  }
  /** While crashed kafkajs has no group and throws; the restart re-applies `paused` itself. */
  private whileRunning(action: () => void): void {
    try {
      action();
    } catch (err) {
      if (!this.onMessage || this.closing) throw err;
    }
  }
  commit(offsets: TopicPartitionOffset[]): Promise<void> {
    return this.consumer.commitOffsets(offsets);
  }
  onLifecycle(listener: (event: ConsumerLifecycleEvent) => void): void {
    const e = this.consumer.events;
    // kafkajs awaits nothing around its emits: a throwing listener inside its crash handler would
    // become an unhandled rejection, so listener errors are logged here instead.
    const emit = (event: ConsumerLifecycleEvent): void => {
      try {
        listener(event);
      } catch (err) {
        this.log.error({ msg: 'consumer lifecycle listener threw', groupId: this.groupId, kind: event.kind, err: errorFields(err) });
      }
    };
    this.consumer.on(e.REBALANCING, () => emit({ kind: 'rebalancing' }));
    this.consumer.on(e.GROUP_JOIN, (ev) =>
      emit({ kind: 'assigned', assignment: ev.payload.memberAssignment as Record<string, number[]> }),
    );
    // `restart` is true also when the adapter restarts the consumer itself.
    this.consumer.on(e.CRASH, (ev) =>
      emit({ kind: 'crash', error: ev.payload.error, restart: ev.payload.restart || (!this.closing && this.onMessage !== undefined) }),
    );
    this.consumer.on(e.STOP, () => emit({ kind: 'stop' }));
  }
  disconnect(): Promise<void> {
    this.closing = true;
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
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
  private readonly log?: MessagingLogger;
  private readonly consumerRestart?: ConsumerRestartOptions;
  constructor(
    config: { brokers: string[]; clientId?: string } & Partial<KafkaConfig> & {
      /** Default: Nest `Logger` named `KafkaJsConsumer:<groupId>`. */
      logger?: MessagingLogger;
      consumerRestart?: ConsumerRestartOptions;
    },
  ) {
    const { logger, consumerRestart, ...kafkaConfig } = config;
    this.log = logger;
    this.consumerRestart = consumerRestart;
    this.kafka = new Kafka({ logLevel: logLevel.WARN, clientId: 'issuing-bridge', ...kafkaConfig });
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
      options.groupId,
      this.log ?? new Logger(`KafkaJsConsumer:${options.groupId}`),
      this.consumerRestart,
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
