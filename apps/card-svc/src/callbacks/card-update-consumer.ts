import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown, type OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { Counter } from 'prom-client';
import { DataSource } from 'typeorm';
import { CARD_STATUSES, EVENT_TYPES } from '@issuing-bridge/contracts';
import { KafkaCommandTransport, Outbox } from '@issuing-bridge/messaging';
import { InjectAppConfig, type ReadinessCheck, type ReadinessState, ReadinessIndicator } from '@issuing-bridge/platform';
import { lockCard, recordStatus } from '../cards/card-status';
import type { CardSvcConfig } from '../config/config.schema';
import { uqpayCardUpdateOf, type UqpayCardUpdate } from './uqpay-card-event';

const callbacksSeen = new Counter({
  name: 'card_callbacks_total',
  help: 'Card_update callbacks consumed, by outcome',
  labelNames: ['outcome'],
});

/** The part of a verified `Card_update` callback this service uses. */
export interface CardUpdate {
  eventId: string;
  cardNo: string;
  after: string;
  reason: string | null;
  time: Date;
}

/** Reads a `keysecure.callback.received.v1` envelope; undefined when it is not a usable Card_update. */
export function cardUpdateOf(raw: unknown): CardUpdate | undefined {
  const e = raw as { id?: unknown; type?: unknown; data?: { action?: unknown; data?: Record<string, unknown> } } | null;
  if (!e || e.type !== EVENT_TYPES.keysecureCallbackReceived || e.data?.action !== 'Card_update') return undefined;
  const d = e.data.data ?? {};
  const time = typeof d.time === 'number' ? d.time : Number(d.time);
  if (typeof d.card_no !== 'string' || !(CARD_STATUSES as readonly unknown[]).includes(d.after_status) || !Number.isFinite(time)) {
    return undefined;
  }
  return {
    eventId: String(e.id),
    cardNo: d.card_no,
    after: d.after_status as string,
    reason: typeof d.reason === 'string' ? d.reason : null,
    time: new Date(time),
  };
}

/**
 * Applies verified `Card_update` callbacks (published by the gateway) to card status, in its own
 * consumer group. Idempotent: a repeat or an older callback changes nothing, so plain
 * at-least-once consumption is enough.
 */
@ReadinessIndicator()
@Injectable()
export class CardUpdateConsumer implements OnApplicationBootstrap, OnModuleDestroy, OnApplicationShutdown, ReadinessCheck {
  readonly readinessName = 'card-callbacks-consumer';
  private readonly log = new Logger('CardUpdateConsumer');
  private readonly outbox: Outbox;
  private consumer?: Consumer;
  private assigned = false;
  private disconnecting?: Promise<void>;

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    @InjectAppConfig() private readonly config: CardSvcConfig,
    transport: KafkaCommandTransport,
  ) {
    this.outbox = transport.relay?.outbox ?? new Outbox();
  }

  checkReadiness(): ReadinessState {
    return { ready: this.assigned };
  }

  async onApplicationBootstrap(): Promise<void> {
    const kafka = new Kafka({ clientId: 'card-svc-callbacks', brokers: this.config.KAFKA_BROKERS, logLevel: logLevel.WARN });
    // Short fetch waits so leaving the group at shutdown is quick.
    const sessionTimeout = this.config.CARD_CONSUMER_SESSION_TIMEOUT_MS;
    const consumer = kafka.consumer({
      groupId: this.config.CARD_CALLBACK_GROUP_ID,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: 1_000,
      sessionTimeout,
      heartbeatInterval: Math.min(3_000, Math.floor(sessionTimeout / 3)),
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, () => (this.assigned = true));
    consumer.on(consumer.events.CRASH, () => (this.assigned = false));
    await consumer.connect();
    const uqpayTopic = this.config.UQPAY_CALLBACKS_TOPIC;
    // Subscribing to a missing topic stops the consumer: without the UQPAY topic (a broker set up
    // before UQPAY), KeySecure callbacks still flow and UQPAY webhooks wait for a restart.
    const admin = kafka.admin();
    await admin.connect();
    const existing = await admin.listTopics().finally(() => admin.disconnect());
    const withUqpay = existing.includes(uqpayTopic);
    if (!withUqpay) this.log.warn(`topic ${uqpayTopic} does not exist: UQPAY webhooks are not consumed until a restart`);
    await consumer.subscribe({
      topics: withUqpay ? [this.config.KEYSECURE_CALLBACKS_TOPIC, uqpayTopic] : [this.config.KEYSECURE_CALLBACKS_TOPIC],
      fromBeginning: this.config.CARD_CONSUME_FROM_BEGINNING,
    });
    await consumer.run({
      eachMessage: async ({ topic, message }) => {
        let parsed: unknown;
        try {
          parsed = JSON.parse(message.value?.toString('utf8') ?? '');
        } catch {
          parsed = undefined;
        }
        if (topic === uqpayTopic) {
          const uqpay = uqpayCardUpdateOf(parsed);
          if (!uqpay) callbacksSeen.inc({ outcome: 'ignored' });
          else await this.applyUqpay(uqpay);
          return;
        }
        const update = cardUpdateOf(parsed);
        if (!update) {
          callbacksSeen.inc({ outcome: 'ignored' });
          return;
        }
        await this.apply(update);
      },
    });
  }

  // Leave the group while the command transport drains (Nest closes microservices in between).
  onModuleDestroy(): void {
    this.disconnecting = this.consumer?.disconnect().catch(() => undefined);
  }

  async onApplicationShutdown(): Promise<void> {
    await (this.disconnecting ?? this.consumer?.disconnect().catch(() => undefined));
  }

  /** Records one Card_update; an unknown card_no is not ours (or not stored yet: the poller covers it). */
  async apply(update: CardUpdate): Promise<void> {
    await this.ds.transaction(async (tx) => {
      const card = await lockCard(tx, { card_no: update.cardNo });
      if (!card) {
        callbacksSeen.inc({ outcome: 'unknown_card' });
        return;
      }
      const changed = await recordStatus(tx, this.config.CARD_EVENTS_TOPIC, card, {
        status: update.after,
        time: update.time,
        source: 'callback',
        reason: update.reason,
        causationid: update.eventId,
      });
      callbacksSeen.inc({ outcome: changed.length ? 'changed' : 'no_change' });
      await this.outbox.add(tx, changed);
    });
  }

  /** Records one verified UQPAY card webhook; a card_id not stored here is not ours (yet: its first activate stores it). */
  async applyUqpay(update: UqpayCardUpdate): Promise<void> {
    await this.ds.transaction(async (tx) => {
      const card = await lockCard(tx, { card_no: update.cardId, provider: 'uqpay' });
      if (!card) {
        callbacksSeen.inc({ outcome: 'unknown_card' });
        return;
      }
      const status = update.statusFor(card.card_type);
      if (!status) {
        callbacksSeen.inc({ outcome: 'unknown_status' });
        this.log.warn(`UQPAY webhook ${update.eventId}: card ${card.card_unique_no} has a status the bridge does not map`);
        return;
      }
      const changed = await recordStatus(tx, this.config.CARD_EVENTS_TOPIC, card, {
        status,
        time: update.time,
        source: 'callback',
        reason: update.reason,
        causationid: update.eventId,
      });
      callbacksSeen.inc({ outcome: changed.length ? 'changed' : 'no_change' });
      await this.outbox.add(tx, changed);
    });
  }
}
