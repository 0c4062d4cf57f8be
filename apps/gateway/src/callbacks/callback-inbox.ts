import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import {
  createEvent,
  EVENT_TYPES,
  type KeysecureCallbackReceivedEvent,
} from '@issuing-bridge/contracts';
import type { KeySecureCallbackBody } from '@issuing-bridge/keysecure';
import { InjectAppConfig } from '@issuing-bridge/platform';
import type { GatewayConfig } from '../config/config.schema';
import { gatewayTopics } from '../kafka/gateway-topics';
import { GATEWAY_SOURCE, GatewayPublisher } from '../kafka/gateway-publisher';

export type CallbackOutcome = 'published' | 'duplicate';

/**
 * Publishes each verified callback once. The id row and the publish share a transaction: the row is
 * kept only after the broker acknowledged, so a failed publish lets KeySecure's retry through, and a
 * concurrent duplicate waits on the row, then is answered as already received.
 */
@Injectable()
export class CallbackInbox {
  private readonly topic: string;

  constructor(
    private readonly dataSource: DataSource,
    private readonly publisher: GatewayPublisher,
    @InjectAppConfig() config: GatewayConfig,
  ) {
    this.topic = gatewayTopics(config).callbacks;
  }

  receive(body: KeySecureCallbackBody): Promise<CallbackOutcome> {
    const event: KeysecureCallbackReceivedEvent = createEvent({
      type: EVENT_TYPES.keysecureCallbackReceived,
      source: GATEWAY_SOURCE,
      subject: callbackKey(body),
      data: { ...body },
    });
    return this.dataSource.transaction(async (manager) => {
      const inserted: unknown[] = await manager.query(
        `INSERT INTO "gateway"."keysecure_callbacks" (callback_id, action, event_id)
         VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING callback_id`,
        [body.id, body.action, event.id],
      );
      if (inserted.length === 0) return 'duplicate';
      await this.publisher.publish(this.topic, event);
      return 'published';
    });
  }
}

/** Kafka key: the card the callback is about (keeps one card's callbacks in order), else its id. */
export function callbackKey(body: KeySecureCallbackBody): string {
  const cardNo = body.data.card_no;
  return typeof cardNo === 'string' && cardNo.length > 0 ? cardNo : body.id;
}
