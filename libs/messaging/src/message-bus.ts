/**
 * The engine's only view of Kafka. The transport never imports kafkajs; KafkaJsMessageBus adapts it,
 * so a KafkaJS-compatible client (e.g. @confluentinc/kafka-javascript) can replace it in one file.
 */
export interface BusMessage {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string | undefined>;
  /** Partition high watermark when the message was fetched (for the lag gauge). */
  highWatermark?: string;
}

export interface TopicPartitionOffset {
  topic: string;
  partition: number;
  /** The next offset to read (last finished + 1), as Kafka expects in a commit. */
  offset: string;
}

export type ConsumerLifecycleEvent =
  | { kind: 'rebalancing' }
  | { kind: 'assigned'; assignment: Record<string, number[]> }
  | { kind: 'crash'; error: Error; restart: boolean }
  | { kind: 'stop' };

export interface BusConsumer {
  connect(): Promise<void>;
  subscribe(topics: string[], fromBeginning?: boolean): Promise<void>;
  /**
   * Starts fetching. `onMessage` must take the message synchronously; a returned promise is
   * back-pressure: no further message is offered (and the partition is not fetched) until it
   * resolves. The adapter keeps the group membership alive meanwhile. Offsets are never committed
   * automatically.
   */
  run(onMessage: (message: BusMessage) => Promise<void> | void): Promise<void>;
  pause(topic: string): void;
  resume(topic: string): void;
  commit(offsets: TopicPartitionOffset[]): Promise<void>;
  onLifecycle(listener: (event: ConsumerLifecycleEvent) => void): void;
  /** Stops fetching and leaves the group. */
  disconnect(): Promise<void>;
}

export interface ProducerRecord {
  topic: string;
  key: string | null;
  value: string | Buffer;
  headers?: Record<string, string>;
}

export interface BusProducer {
  connect(): Promise<void>;
  /** Sends in the given order; with an idempotent producer order per partition is kept across retries. */
  send(records: ProducerRecord[]): Promise<void>;
  disconnect(): Promise<void>;
}

/** Group membership and fetch timing. Left out: the adapter's defaults (kafkajs: 30 s session, 3 s heartbeat, 60 s rebalance, 1 s fetch wait). */
export interface ConsumerTimingOptions {
  /** How long the broker waits for a silent member before giving its partitions away (a SIGKILLed instance's partitions idle this long). */
  sessionTimeoutMs?: number;
  /** How often the member heartbeats; must be well below `sessionTimeoutMs` (a third or less). */
  heartbeatIntervalMs?: number;
  /** How long the coordinator waits for every member to rejoin during a rebalance. */
  rebalanceTimeoutMs?: number;
  /**
   * Longest wait of one fetch when the partitions have no new records (kafkajs `maxWaitTimeInMs`).
   * Shutdown waits for a running fetch, so shorter means a faster close; the kafkajs adapter uses 1 s
   * (kafkajs itself defaults to 5 s).
   */
  maxWaitTimeMs?: number;
}

export interface ConsumerOptions extends ConsumerTimingOptions {
  groupId: string;
}

export interface MessageBus {
  createConsumer(options: ConsumerOptions): BusConsumer;
  createProducer(options?: { idempotent?: boolean }): BusProducer;
}
