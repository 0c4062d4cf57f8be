import { KafkaCommandTransport, type KafkaCommandTransportOptions } from '@issuing-bridge/messaging';
import { loadConfig } from '@issuing-bridge/platform';
import type { DataSource } from 'typeorm';
import { configSchema } from '../config/config.schema';
import { cardCommandTransport } from './cards.module';

describe('card command transport wiring', () => {
  const build = (env: Record<string, string>) => {
    const config = loadConfig(configSchema, env);
    // Stands in for a DataSource with MessagingModule.forFeature() applied.
    const dataSource = { getMetadata: () => ({ schema: 'card', tableName: 'messaging_outbox' }) } as unknown as DataSource;
    const factory = (cardCommandTransport as { useFactory: (ds: DataSource, c: typeof config) => KafkaCommandTransport }).useFactory;
    const transport = factory(dataSource, config);
    expect(transport).toBeInstanceOf(KafkaCommandTransport);
    return transport['options'] as KafkaCommandTransportOptions;
  };

  it('passes the consumer session timeout, topics, grace period and deadline, and no logger wrapper', () => {
    const options = build({
      CARD_CONSUMER_SESSION_TIMEOUT_MS: '6000',
      CARD_COMMANDS_TOPIC: 'x.commands',
      CARD_EVENTS_TOPIC: 'x.events',
      CARD_COMMANDS_DLQ_TOPIC: 'x.commands.dlq',
      CARD_SHUTDOWN_GRACE_MS: '4000',
      CARD_COMMAND_DEADLINE_MS: '9000',
    });
    expect(options).toMatchObject({
      topic: 'x.commands',
      eventsTopic: 'x.events',
      dlqTopic: 'x.commands.dlq',
      groupId: 'card-svc',
      consumer: { sessionTimeoutMs: 6_000 },
      shutdownGraceMs: 4_000,
      retry: { deadlineMs: 9_000 },
    });
    // The engine logs structured objects to Nest's Logger itself (fields reach nestjs-pino).
    expect(options.logger).toBeUndefined();
  });

  it('hands CARD_INBOX_RETENTION_MS to the inbox pruner', () => {
    expect(build({ CARD_INBOX_RETENTION_MS: '172800000' }).inboxRetentionMs).toBe(172_800_000);
  });

  it('defaults the session timeout to 30 s and refuses one below the broker minimum, naming the variable', () => {
    expect(build({}).consumer).toEqual({ sessionTimeoutMs: 30_000 });
    expect(() => loadConfig(configSchema, { CARD_CONSUMER_SESSION_TIMEOUT_MS: '5000' })).toThrow(
      /CARD_CONSUMER_SESSION_TIMEOUT_MS: must be at least 6000/,
    );
  });
});
