import { EXCEPTION_FILTERS_METADATA } from '@nestjs/common/constants';
import { PATTERN_EXTRAS_METADATA, PATTERN_METADATA } from '@nestjs/microservices/constants';
import { COMMAND_TYPES } from '@issuing-bridge/contracts';
import { CommandErrorsFilter, KafkaCommandTransport, type KafkaCommandTransportOptions } from '@issuing-bridge/messaging';
import { loadConfig } from '@issuing-bridge/platform';
import type { DataSource } from 'typeorm';
import { configSchema } from '../config/config.schema';
import { cardholderCommandTransport } from './cardholder-commands';
import { KycApplyHandler, kycApplyFailureEvent } from './kyc-apply.handler';

describe('cardholder command wiring', () => {
  it('KycApplyHandler is a controller whose apply() handles cardholder.kyc.apply.v1 with its failure event, behind CommandErrorsFilter', () => {
    const apply = KycApplyHandler.prototype.apply;
    expect(Reflect.getMetadata(PATTERN_METADATA, apply)).toEqual([COMMAND_TYPES.cardholderKycApply]);
    expect(Reflect.getMetadata(PATTERN_EXTRAS_METADATA, apply)).toEqual({ failureEventFor: kycApplyFailureEvent });
    expect(Reflect.getMetadata(EXCEPTION_FILTERS_METADATA, KycApplyHandler)).toEqual([CommandErrorsFilter]);
    expect(Reflect.getMetadata('path', KycApplyHandler)).toBeDefined(); // @Controller()
  });

  it('the transport provider passes the consumer session timeout, in-flight limit, topics and retry settings', () => {
    const config = loadConfig(configSchema, {
      CARDHOLDER_CONSUMER_SESSION_TIMEOUT_MS: '7000',
      CARDHOLDER_COMMANDS_TOPIC: 'x.commands',
      CARDHOLDER_EVENTS_TOPIC: 'x.events',
      CARDHOLDER_COMMANDS_DLQ_TOPIC: 'x.commands.dlq',
      CARDHOLDER_COMMAND_DEADLINE_MS: '9000',
      CARDHOLDER_INBOX_RETENTION_MS: '86400000',
    });
    const dataSource = { getMetadata: () => ({ schema: 'cardholder', tableName: 'messaging_outbox' }) } as unknown as DataSource;
    const factory = (cardholderCommandTransport as { useFactory: (ds: DataSource, c: typeof config) => KafkaCommandTransport }).useFactory;
    const transport = factory(dataSource, config);
    expect(transport).toBeInstanceOf(KafkaCommandTransport);
    const options = transport['options'] as KafkaCommandTransportOptions;
    expect(options).toMatchObject({
      topic: 'x.commands',
      eventsTopic: 'x.events',
      dlqTopic: 'x.commands.dlq',
      groupId: 'cardholder-svc',
      maxInFlight: 64,
      consumer: { sessionTimeoutMs: 7_000 },
      retry: { deadlineMs: 9_000, maxDelayMs: 5_000 },
    });
    expect(transport.inboxPruner.retentionMs).toBe(86_400_000);
  });
});
