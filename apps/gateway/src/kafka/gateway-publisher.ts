import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { CLOUDEVENTS_CONTENT_TYPE, partitionKeyOf } from '@issuing-bridge/contracts';
import { KafkaJsMessageBus, type BusProducer } from '@issuing-bridge/messaging';
import { InjectAppConfig } from '@issuing-bridge/platform';
import type { GatewayConfig } from '../config/config.schema';

/** CloudEvents `source` of everything the gateway publishes. */
export const GATEWAY_SOURCE = 'urn:issuing-bridge:gateway';

/**
 * Publishes commands and callback events. Idempotent producer, acks from all in-sync replicas:
 * `publish` resolves only once the broker has the record, so callers may answer "accepted" after it.
 */
@Injectable()
export class GatewayPublisher implements OnModuleDestroy {
  private readonly bus: KafkaJsMessageBus;
  private producer?: Promise<BusProducer>;

  constructor(@InjectAppConfig() config: GatewayConfig) {
    this.bus = new KafkaJsMessageBus({ brokers: config.KAFKA_BROKERS, clientId: 'gateway' });
  }

  async publish(topic: string, message: { subject: string }): Promise<void> {
    const producer = await this.connected();
    await producer.send([
      {
        topic,
        key: partitionKeyOf(message),
        value: JSON.stringify(message),
        headers: { 'content-type': CLOUDEVENTS_CONTENT_TYPE },
      },
    ]);
  }

  // Connects on first use so that the API starts (and reports not-ready) while Kafka is down.
  private connected(): Promise<BusProducer> {
    if (!this.producer) {
      const producer = this.bus.createProducer({ idempotent: true });
      this.producer = producer.connect().then(
        () => producer,
        (error: unknown) => {
          this.producer = undefined;
          throw error;
        },
      );
    }
    return this.producer;
  }

  async onModuleDestroy(): Promise<void> {
    const producer = await this.producer?.catch(() => undefined);
    await producer?.disconnect();
  }
}
