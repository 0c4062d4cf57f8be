import { Injectable, Module, type Provider } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { DLQ_OF } from '@issuing-bridge/contracts';
import { KeySecureModule, recordKeySecureCall } from '@issuing-bridge/keysecure';
import { UqpayModule } from '@issuing-bridge/uqpay';
import { KafkaCommandTransport, KafkaJsMessageBus, MessagingModule } from '@issuing-bridge/messaging';
import { APP_CONFIG, ReadinessIndicator, type ReadinessCheck, type ReadinessState } from '@issuing-bridge/platform';
import { CardUpdateConsumer } from '../callbacks/card-update-consumer';
import type { CardSvcConfig } from '../config/config.schema';
import { IssuancePoller } from '../issuance/issuance-poller';
import { CardReconciliation } from '../reconciliation/card-reconciliation';
import { ReconciliationController } from '../reconciliation/reconciliation.controller';
import { CardProviders } from '../providers/card-provider';
import { KeySecureCardProvider } from '../providers/keysecure-card-provider';
import { UqpayCardProvider } from '../providers/uqpay-card-provider';
import { CardCommandsController } from './card-commands.controller';
import { engineFailureEvent } from './card-failures';
import { CARD_PRIVATE_KEY, cardPrivateKey } from './card-keys';
import { CARD_SOURCE } from './card-status';

/**
 * The card command consumer: the messaging engine as a Nest custom transport, connected in main.ts.
 * Its log lines go to Nest's Logger as structured objects (command id, attempt, error fields).
 */
export const cardCommandTransport: Provider = {
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
      // A SIGKILLed instance's partitions move to the others once this session timeout ends.
      consumer: { sessionTimeoutMs: config.CARD_CONSUMER_SESSION_TIMEOUT_MS },
      retry: { deadlineMs: config.CARD_COMMAND_DEADLINE_MS },
      // Nest's whole close must fit the platform's 15 s shutdown limit.
      shutdownGraceMs: config.CARD_SHUTDOWN_GRACE_MS,
      inboxRetentionMs: config.CARD_INBOX_RETENTION_MS,
      failureEventFor: engineFailureEvent,
    }),
};

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
    // The engine's inbox/outbox entities, in this service's `card` schema.
    MessagingModule.forFeature(),
    KeySecureModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: CardSvcConfig) => ({
        baseUrl: config.KEYSECURE_BASE_URL,
        apiKey: config.KEYSECURE_API_KEY,
        apiSecret: config.KEYSECURE_API_SECRET,
        timezone: config.KEYSECURE_TIMEZONE,
        // keysecure_call_seconds{endpoint,code} on /metrics, shared definition with cardholder-svc.
        onCall: recordKeySecureCall(),
      }),
    }),
    UqpayModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: CardSvcConfig) => ({
        baseUrl: config.UQPAY_BASE_URL,
        clientId: config.UQPAY_CLIENT_ID,
        apiKey: config.UQPAY_API_KEY,
      }),
    }),
  ],
  controllers: [CardCommandsController, ReconciliationController],
  providers: [
    cardCommandTransport,
    { provide: CARD_PRIVATE_KEY, inject: [APP_CONFIG], useFactory: cardPrivateKey },
    CardCommandsReadiness,
    // Provider adapters: a new provider is one adapter here plus its entry in CardProviders.
    KeySecureCardProvider,
    UqpayCardProvider,
    {
      provide: CardProviders,
      inject: [KeySecureCardProvider, UqpayCardProvider],
      useFactory: (keysecure: KeySecureCardProvider, uqpay: UqpayCardProvider) => new CardProviders([keysecure, uqpay]),
    },
    IssuancePoller,
    CardUpdateConsumer,
    CardReconciliation,
  ],
  exports: [KafkaCommandTransport, CardReconciliation, IssuancePoller],
})
export class CardsModule {}
