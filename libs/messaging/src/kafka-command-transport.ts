import { Logger } from '@nestjs/common';
import { Server, type CustomTransportStrategy } from '@nestjs/microservices';
import { DLQ_OF } from '@issuing-bridge/contracts';
import type { DataSource } from 'typeorm';
import { CommandProcessor, type CommandOutcome, type RetryPolicy } from './command-processor';
import { defaultParseCommand, defaultRejectionEventFor } from './contracts-defaults';
import { InboxEntry, requireMessagingEntities } from './entities';
import { errorFields } from './errors';
import { KafkaJsMessageBus, kafkaBrokersFromEnv } from './kafkajs-bus';
import { KeyLanes } from './key-lanes';
import type { BusConsumer, BusMessage, ConsumerLifecycleEvent, ConsumerTimingOptions, MessageBus } from './message-bus';
import { messagingMetrics } from './metrics';
import { Outbox, OutboxRelay, qualifiedTable, type MessagingLogger } from './outbox';
import { PartitionOffsets } from './partition-offsets';
import { RetentionPruner } from './retention';
import type { CommandHandlerExtras, FailureEventBuilder, ParseCommand, RejectionEventBuilder } from './types';

export interface KafkaCommandTransportOptions {
  /** The service's DataSource (its `schema` holds messaging_inbox / messaging_outbox). */
  dataSource: DataSource;
  /** Command topic to consume, e.g. TOPICS.cardCommands. */
  topic: string;
  groupId: string;
  /** Where bare events returned from `ctx.complete` go, e.g. TOPICS.cardEvents. */
  eventsTopic: string;
  /** Defaults to DLQ_OF[topic]. */
  dlqTopic?: string;
  /** CloudEvents `source` of engine-built events (rejections). */
  source: string;
  /** Defaults to kafkajs on KAFKA_BROKERS. */
  bus?: MessageBus;
  /**
   * Group membership timing, passed to `bus.createConsumer`. A short `sessionTimeoutMs` (e.g. 6000,
   * the broker's usual minimum) hands a SIGKILLed instance's partitions to the others sooner.
   */
  consumer?: ConsumerTimingOptions;
  /** Commands taken but not finished, over all keys and partitions (default 64). */
  maxInFlight?: number;
  retry?: Partial<RetryPolicy>;
  /**
   * How long shutdown waits for in-flight commands (default 10 s). After it, they are abandoned: a
   * late `ctx.complete` throws `CommandAbandoned` and writes nothing, and their offsets stay
   * uncommitted, so the next owner of the partition redelivers them.
   */
  shutdownGraceMs?: number;
  /** How often finished offsets are committed (default 200 ms). */
  commitIntervalMs?: number;
  parseCommand?: ParseCommand;
  rejectionEventFor?: RejectionEventBuilder;
  /** Failure event when a handler gives none through `@EventPattern(type, { failureEventFor })`. */
  failureEventFor?: FailureEventBuilder;
  /** A relay of your own, or false to run none in this process. Default: one relay on the same bus. */
  outboxRelay?: OutboxRelay | false;
  /**
   * Inbox rows processed longer ago than this are deleted (default 30 days, `DEFAULT_INBOX_RETENTION_MS`).
   * Must be longer than the command topic's Kafka retention (7 days by default): a redelivered or
   * re-sent command is recognised only while its inbox row exists.
   */
  inboxRetentionMs?: number;
  /** How often this instance prunes the inbox (default 10 minutes, first one interval after start; 0 = never). */
  inboxPruneIntervalMs?: number;
  /** Read from the beginning when the group has no committed offset (default true). */
  fromBeginning?: boolean;
  /** Default: Nest `Logger` named after the topic; gets structured entries (see `MessagingLogger`). */
  logger?: MessagingLogger;
}

/** 30 days: well past the command topics' default Kafka retention of 7 days. */
export const DEFAULT_INBOX_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;

export const DEFAULT_RETRY: RetryPolicy = { initialDelayMs: 200, maxDelayMs: 5_000, deadlineMs: 60_000 };

/**
 * Nest custom transport for command topics: handlers keep `@EventPattern('card.apply.v1')`,
 * `@Payload()` and `@Ctx() ctx: CommandContext`. Per-key order, cross-key parallelism up to
 * `maxInFlight`, commits only up to the lowest unfinished offset of each partition.
 */
export class KafkaCommandTransport extends Server implements CustomTransportStrategy {
  readonly relay?: OutboxRelay;
  /** Deletes inbox rows (every outcome, `failed` included) older than `inboxRetentionMs`. */
  readonly inboxPruner: RetentionPruner;
  private readonly bus: MessageBus;
  private readonly lanes = new KeyLanes();
  private readonly partitions = new Map<number, PartitionOffsets>();
  private readonly highWatermarks = new Map<number, bigint>();
  private readonly processor: CommandProcessor;
  private readonly maxInFlight: number;
  private readonly log: MessagingLogger;
  private consumer?: BusConsumer;
  private readonly capacityWaiters: Array<() => void> = [];
  private alive = false;
  private assigned = false;
  private closing = false;
  private abandoning = false;
  /** Set after shutdown's last commit: the consumer is gone, so late finishers commit nothing. */
  private stopped = false;
  private commitTimer?: NodeJS.Timeout;
  private commitChain: Promise<void> = Promise.resolve();

  constructor(private readonly options: KafkaCommandTransportOptions) {
    super();
    requireMessagingEntities(options.dataSource);
    this.log = options.logger ?? new Logger(`KafkaCommandTransport:${options.topic}`);
    this.bus = options.bus ?? new KafkaJsMessageBus({ brokers: kafkaBrokersFromEnv() });
    this.maxInFlight = options.maxInFlight ?? 64;
    this.relay =
      options.outboxRelay === false
        ? undefined
        : (options.outboxRelay ?? new OutboxRelay({ dataSource: options.dataSource, bus: this.bus, logger: this.log }));
    this.inboxPruner = new RetentionPruner({
      dataSource: options.dataSource,
      table: qualifiedTable(options.dataSource, InboxEntry),
      key: 'command_id, payload_hash',
      timeColumn: 'processed_at',
      retentionMs: options.inboxRetentionMs ?? DEFAULT_INBOX_RETENTION_MS,
      intervalMs: options.inboxPruneIntervalMs,
      optionNames: ['inboxRetentionMs', 'inboxPruneIntervalMs'],
      logger: this.log,
    });
    const dlqTopic = options.dlqTopic ?? DLQ_OF[options.topic];
    if (!dlqTopic) throw new Error(`dlqTopic: required when topic ${options.topic} has no DLQ_OF entry`);
    const { sessionTimeoutMs, heartbeatIntervalMs } = options.consumer ?? {};
    if (sessionTimeoutMs !== undefined && heartbeatIntervalMs !== undefined && heartbeatIntervalMs >= sessionTimeoutMs) {
      throw new Error('consumer.heartbeatIntervalMs: must be less than consumer.sessionTimeoutMs');
    }
    this.processor = new CommandProcessor({
      dataSource: options.dataSource,
      outbox: this.relay?.outbox ?? new Outbox(),
      eventsTopic: options.eventsTopic,
      dlqTopic,
      parseCommand: options.parseCommand ?? defaultParseCommand,
      rejectionEventFor: options.rejectionEventFor ?? defaultRejectionEventFor(options.source),
      failureEventFor: options.failureEventFor,
      retry: { ...DEFAULT_RETRY, ...options.retry },
      abandoning: () => this.abandoning,
      logger: this.log,
      handlers: (type) => {
        const handler = this.getHandlerByPattern(type);
        if (!handler) return null;
        const extras = (handler.extras ?? {}) as CommandHandlerExtras;
        return { invoke: (command, ctx) => handler(command, ctx), failureEventFor: extras.failureEventFor };
      },
    });
  }

  // --- Nest Server contract -------------------------------------------------------------------

  async listen(callback: (...optionalParams: unknown[]) => unknown): Promise<void> {
    try {
      await this.start();
      callback();
    } catch (e) {
      callback(e);
    }
  }

  async close(): Promise<void> {
    await this.shutdown();
  }

  on(): never {
    throw new Error('KafkaCommandTransport: on() is not supported; use isAlive() / isReady()');
  }

  unwrap<T>(): T {
    return this.consumer as T;
  }

  // --- health ---------------------------------------------------------------------------------

  /** The consume loop runs (a crashed or stopped consumer is not alive). */
  isAlive(): boolean {
    return this.alive && !this.closing;
  }

  /** Alive and holding a group assignment. */
  isReady(): boolean {
    return this.isAlive() && this.assigned;
  }

  get inFlight(): number {
    return this.lanes.size;
  }

  // --- engine ---------------------------------------------------------------------------------

  async start(): Promise<void> {
    await this.relay?.start();
    const consumer = this.bus.createConsumer({ ...this.options.consumer, groupId: this.options.groupId });
    this.consumer = consumer;
    consumer.onLifecycle((e) => this.onLifecycle(e));
    await consumer.connect();
    await consumer.subscribe([this.options.topic], this.options.fromBeginning ?? true);
    await consumer.run((m) => this.accept(m));
    this.alive = true;
    this.inboxPruner.start();
  }

  /** Takes the message at once; returns a promise (back-pressure) while `maxInFlight` is reached. */
  private accept(message: BusMessage): Promise<void> | void {
    if (this.closing) return; // not tracked, so never committed: redelivered after restart
    let offsets = this.partitions.get(message.partition);
    if (!offsets) {
      offsets = new PartitionOffsets();
      this.partitions.set(message.partition, offsets);
    }
    if (message.highWatermark) this.highWatermarks.set(message.partition, BigInt(message.highWatermark));
    if (!offsets.begin(message.offset)) return; // already in flight or done (redelivery after rebalance)
    const tracked = offsets;
    const laneKey = message.key ? `k:${message.key.toString('utf8')}` : `p:${message.partition}`;
    messagingMetrics.inFlight.inc({ topic: message.topic });
    const started = process.hrtime.bigint();
    // Resume only once the lane has settled: inside the task `lanes.size` still counts this command,
    // so a check there is one completion late (and with maxInFlight 1 it never resumes).
    void this.lanes.run(laneKey, async () => {
      let outcome: CommandOutcome = 'abandoned';
      let type = 'unknown';
      try {
        ({ outcome, type } = await this.processor.process(message));
      } catch (e) {
        this.log.error({
          msg: 'command processing crashed; offset left uncommitted',
          topic: message.topic,
          partition: message.partition,
          offset: message.offset,
          err: errorFields(e),
        });
      } finally {
        messagingMetrics.inFlight.dec({ topic: message.topic });
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        messagingMetrics.handled.inc({ type, outcome });
        messagingMetrics.latency.observe({ type, outcome }, seconds);
        // An abandoned command stays pending, so the watermark never passes it.
        if (outcome !== 'abandoned' && outcome !== undefined) tracked.finish(message.offset);
        if (outcome !== 'duplicate' && outcome !== 'abandoned') this.relay?.wake();
        this.scheduleCommit();
      }
    }).then(() => this.maybeResume());
    if (this.lanes.size >= this.maxInFlight) {
      // Stop fetching until below the limit; kafkajs pause/resume would add a full fetch wait per cycle.
      return new Promise<void>((resolve) => this.capacityWaiters.push(resolve));
    }
  }

  private maybeResume(): void {
    if (this.lanes.size < this.maxInFlight || this.closing) this.capacityWaiters.splice(0).forEach((r) => r());
  }

  private scheduleCommit(): void {
    if (this.commitTimer || this.stopped) return;
    this.commitTimer = setTimeout(() => {
      this.commitTimer = undefined;
      void this.commitNow();
    }, this.options.commitIntervalMs ?? 200);
  }

  /** Commits each partition up to its lowest unfinished offset. Serialised; failures retried next time. */
  commitNow(): Promise<void> {
    this.commitChain = this.commitChain.then(async () => {
      if (!this.consumer || this.stopped) return;
      const entries = [...this.partitions].flatMap(([partition, offsets]) => {
        const offset = offsets.toCommit();
        return offset === null ? [] : [{ partition, offsets, offset }];
      });
      if (entries.length === 0) return;
      try {
        await this.consumer.commit(entries.map((e) => ({ topic: this.options.topic, partition: e.partition, offset: e.offset })));
        for (const e of entries) {
          e.offsets.markCommitted(e.offset);
          const hw = this.highWatermarks.get(e.partition);
          if (hw !== undefined) {
            const lag = hw - BigInt(e.offset);
            messagingMetrics.lag.set({ topic: this.options.topic, partition: String(e.partition) }, Number(lag < 0n ? 0n : lag));
          }
        }
      } catch (e) {
        this.log.warn({ msg: 'offset commit failed; will retry', topic: this.options.topic, err: errorFields(e) });
        this.scheduleCommit();
      }
    });
    return this.commitChain;
  }

  private onLifecycle(event: ConsumerLifecycleEvent): void {
    switch (event.kind) {
      case 'rebalancing':
        // kafkajs gives no blocking revoke hook: commit the watermark now, while the old generation
        // is still accepted. Work still in flight is not committed; if its partition moves, the new
        // owner redelivers it and the inbox turns the repeat into a no-op.
        this.assigned = false;
        void this.commitNow();
        break;
      case 'assigned': {
        const mine = new Set(event.assignment[this.options.topic] ?? []);
        for (const partition of [...this.partitions.keys()]) {
          // Revoked: stop tracking so we never commit for a partition someone else owns now.
          if (!mine.has(partition)) this.partitions.delete(partition);
        }
        this.assigned = true;
        this.alive = true;
        break;
      }
      case 'crash':
        this.log.error({ msg: 'consumer crashed', topic: this.options.topic, restart: event.restart, err: errorFields(event.error) });
        this.alive = false;
        this.assigned = false;
        break;
      case 'stop':
        this.alive = false;
        this.assigned = false;
        break;
    }
  }

  /** Stop fetching, finish in flight within the grace period, commit, flush the outbox, disconnect. */
  async shutdown(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    const inboxPruned = this.inboxPruner.stop();
    this.consumer?.pause(this.options.topic);
    this.maybeResume();
    const grace = this.options.shutdownGraceMs ?? 10_000;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), grace)));
    if ((await Promise.race([this.lanes.whenIdle(), timedOut])) === 'timeout') {
      this.log.warn({
        msg: 'shutdown grace period over; abandoning in-flight commands (left uncommitted, redelivered to the next owner)',
        topic: this.options.topic,
        inFlight: this.lanes.size,
        graceMs: grace,
      });
      this.abandoning = true;
      await Promise.race([this.lanes.whenIdle(), new Promise((r) => setTimeout(r, 1_000))]);
    }
    clearTimeout(timer);
    if (this.commitTimer) clearTimeout(this.commitTimer);
    this.commitTimer = undefined;
    await this.commitNow();
    this.stopped = true;
    await this.consumer?.disconnect().catch(() => undefined);
    this.alive = false;
    await inboxPruned;
    await this.relay?.stop();
  }
}
