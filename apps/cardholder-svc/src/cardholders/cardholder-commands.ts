import { Injectable, Logger } from '@nestjs/common';
import type { Provider } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import { KafkaCommandTransport, KafkaJsMessageBus } from '@issuing-bridge/messaging';
import { APP_CONFIG, ReadinessIndicator, type ReadinessCheck, type ReadinessState } from '@issuing-bridge/platform';
import type { DataSource } from 'typeorm';
import type { CardholderSvcConfig } from '../config/config.schema';
import { CARDHOLDER_SVC_SOURCE } from './cardholder-events';

/**
 * The cardholder command consumer: the messaging engine as a Nest custom transport on
 * `cardholder.commands.v1`, connected in main.ts (`app.connectMicroservice`). Nest routes each command
 * to the `@EventPattern` controllers and closes the transport on shutdown.
 */
export const cardholderCommandTransport: Provider = {
  provide: KafkaCommandTransport,
  inject: [getDataSourceToken(), APP_CONFIG],
  useFactory: (dataSource: DataSource, config: CardholderSvcConfig) =>
    new KafkaCommandTransport({
      dataSource,
      bus: new KafkaJsMessageBus({ brokers: config.KAFKA_BROKERS, clientId: 'cardholder-svc' }),
      topic: config.CARDHOLDER_COMMANDS_TOPIC,
      eventsTopic: config.CARDHOLDER_EVENTS_TOPIC,
      dlqTopic: config.CARDHOLDER_COMMANDS_DLQ_TOPIC,
      groupId: config.CARDHOLDER_SVC_GROUP_ID,
      source: CARDHOLDER_SVC_SOURCE,
      maxInFlight: config.CARDHOLDER_MAX_IN_FLIGHT,
      consumer: { sessionTimeoutMs: config.CARDHOLDER_CONSUMER_SESSION_TIMEOUT_MS },
      retry: { deadlineMs: config.CARDHOLDER_COMMAND_DEADLINE_MS, maxDelayMs: config.CARDHOLDER_COMMAND_RETRY_MAX_MS },
      inboxRetentionMs: config.CARDHOLDER_INBOX_RETENTION_MS,
      logger: new Logger('CardholderCommands'),
    }),
};

/** Readiness: the consume loop runs and holds a group assignment. */
@ReadinessIndicator()
@Injectable()
export class CardholderCommandsReadiness implements ReadinessCheck {
  readonly readinessName = 'cardholder-commands';
  constructor(private readonly transport: KafkaCommandTransport) {}

  checkReadiness(): ReadinessState {
    return {
      ready: this.transport.isReady(),
      details: { alive: this.transport.isAlive(), inFlight: this.transport.inFlight },
    };
  }
}
