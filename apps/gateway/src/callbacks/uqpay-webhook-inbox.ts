import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { createEvent, EVENT_TYPES, type UqpayWebhookReceivedEvent } from '@issuing-bridge/contracts';
import { InjectAppConfig } from '@issuing-bridge/platform';
import type { VerifiedUqpayWebhook } from '@issuing-bridge/uqpay';
import type { GatewayConfig } from '../config/config.schema';
import { GATEWAY_SOURCE, GatewayPublisher } from '../kafka/gateway-publisher';
import type { CallbackOutcome } from './callback-inbox';

/**
 * Publishes each verified UQPAY webhook once per event_id. As for KeySecure, the id row and the
 * publish share a transaction: the row is kept only after the broker acknowledged, so a failed
 * publish lets UQPAY's retry through, and a concurrent duplicate waits on the row.
 */
@Injectable()
export class UqpayWebhookInbox {
  private readonly topic: string;

  constructor(
    private readonly dataSource: DataSource,
    private readonly publisher: GatewayPublisher,
    @InjectAppConfig() config: GatewayConfig,
  ) {
    this.topic = config.GATEWAY_UQPAY_CALLBACKS_TOPIC;
  }

  receive(webhook: VerifiedUqpayWebhook): Promise<CallbackOutcome> {
    const { envelope, timestampMs } = webhook;
    const event: UqpayWebhookReceivedEvent = createEvent({
      type: EVENT_TYPES.uqpayWebhookReceived,
      source: GATEWAY_SOURCE,
      subject: uqpayWebhookKey(webhook),
      data: { ...envelope, timestamp_ms: timestampMs },
    });
    return this.dataSource.transaction(async (manager) => {
      const inserted: unknown[] = await manager.query(
        `INSERT INTO "gateway"."uqpay_webhooks" (event_id, event_type, message_id)
         VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING event_id`,
        [envelope.event_id, envelope.event_type, event.id],
      );
      if (inserted.length === 0) return 'duplicate';
      await this.publisher.publish(this.topic, event);
      return 'published';
    });
  }
}

/** Kafka key: the card (keeps one card's webhooks in order), else the source id, else the event id. */
export function uqpayWebhookKey({ envelope }: VerifiedUqpayWebhook): string {
  const cardId = envelope.data.card_id;
  if (typeof cardId === 'string' && cardId.length > 0) return cardId;
  return envelope.source_id || envelope.event_id;
}
