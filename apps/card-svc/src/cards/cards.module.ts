import { Injectable, Logger, Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { TypeOrmModule, getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { DLQ_OF } from '@issuing-bridge/contracts';
import { KeySecureModule } from '@issuing-bridge/keysecure';
import { KafkaCommandTransport, KafkaJsMessageBus, MESSAGING_ENTITIES, type MessagingLogger } from '@issuing-bridge/messaging';
import { APP_CONFIG, ReadinessIndicator, type ReadinessCheck, type ReadinessState } from '@issuing-bridge/platform';
import { CardUpdateConsumer } from '../callbacks/card-update-consumer';
import type { CardSvcConfig } from '../config/config.schema';
import { IssuancePoller } from '../issuance/issuance-poller';
import { CardReconciliation } from '../reconciliation/card-reconciliation';
import { ReconciliationController } from '../reconciliation/reconciliation.controller';
import { CardCommandsController } from './card-commands.controller';
import { engineFailureEvent } from './card-failures';
import { CARD_PRIVATE_KEY, cardPrivateKey } from './card-keys';
import { CARD_SOURCE } from './card-status';

/**
 * The engine logs `(message, fieldsObject)`; Nest's Logger would take the object for a context name and
 * drop it, so the fields (command id, attempt, error class/code) are appended to the message instead.
 */
export function engineLogger(name: string): MessagingLogger {
  const log = new Logger(name);
  const text = (message: string, fields?: unknown) => (fields === undefined ? message : `${message} ${JSON.stringify(fields)}`);
  return {
    log: (m, f) => log.log(text(m, f)),
    warn: (m, f) => log.warn(text(m, f)),
    error: (m, f) => log.error(text(m, f)),
  };
}

/** Readiness: the command consumer runs and holds partitions. */
@ReadinessIndicator()
@Injectable()
export class CardCommandsReadiness implements ReadinessCheck {
  readonly readinessName = 'card-commands-consumer';
  constructor(private readonly transport: KafkaCommandTransport) {}
  checkReadiness(): ReadinessState {
    return { ready: this.transport.isReady(), details: { inFlight: this.transport.inFlight } };
  }
}

/**
 * Everything card-svc does: card commands (via the messaging engine's transport, connected in
 * main.ts), issuance polling, Card_update callbacks and reconciliation, all writing card status
 * through `recordStatus`.
 */
@Module({
  imports: [
    ScheduleModule.forRoot(),
    // The engine's inbox/outbox entities live in this service's `card` schema.
    TypeOrmModule.forFeature(MESSAGING_ENTITIES),
    KeySecureModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: CardSvcConfig) => ({
        baseUrl: config.KEYSECURE_BASE_URL,
        apiKey: config.KEYSECURE_API_KEY,
        apiSecret: config.KEYSECURE_API_SECRET,
        timezone: config.KEYSECURE_TIMEZONE,
      }),
    }),
  ],
  controllers: [CardCommandsController, ReconciliationController],
  providers: [
    {
      provide: KafkaCommandTransport,
      inject: [getDataSourceToken(), APP_CONFIG],
      useFactory: (dataSource: DataSource, config: CardSvcConfig) =>
        new KafkaCommandTransport({
          dataSource,
          bus: new KafkaJsMessageBus({ brokers: config.KAFKA_BROKERS, clientId: 'card-svc' }),
          topic: config.CARD_COMMANDS_TOPIC,
          eventsTopic: config.CARD_EVENTS_TOPIC,
          dlqTopic: config.CARD_COMMANDS_DLQ_TOPIC ?? DLQ_OF[config.CARD_COMMANDS_TOPIC],
          groupId: config.CARD_COMMAND_GROUP_ID,
          source: CARD_SOURCE,
          fromBeginning: config.CARD_CONSUME_FROM_BEGINNING,
          retry: { deadlineMs: config.CARD_COMMAND_DEADLINE_MS },
          // Nest's whole close must fit the platform's 15 s shutdown limit.
          shutdownGraceMs: config.CARD_SHUTDOWN_GRACE_MS,
          failureEventFor: engineFailureEvent,
          logger: engineLogger(`KafkaCommandTransport:${config.CARD_COMMANDS_TOPIC}`),
        }),
    },
    { provide: CARD_PRIVATE_KEY, inject: [APP_CONFIG], useFactory: cardPrivateKey },
    CardCommandsReadiness,
    IssuancePoller,
    CardUpdateConsumer,
    CardReconciliation,
  ],
  exports: [KafkaCommandTransport, CardReconciliation, IssuancePoller],
})
export class CardsModule {}
