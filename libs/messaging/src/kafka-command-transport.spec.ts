import type { DynamicModule } from '@nestjs/common';
import { TypeOrmModule, getRepositoryToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { MESSAGING_ENTITIES } from './entities';
import { KafkaCommandTransport, type KafkaCommandTransportOptions } from './kafka-command-transport';
import { KafkaJsMessageBus } from './kafkajs-bus';
import { MessagingModule } from './messaging.module';
import type { BusConsumer, BusMessage, BusProducer, ConsumerLifecycleEvent, ConsumerOptions, MessageBus, TopicPartitionOffset } from './message-bus';

/** A fake bus: the only faked collaborator; lets the test fire kafkajs-like lifecycle events. */
class FakeBus implements MessageBus {
  listener?: (e: ConsumerLifecycleEvent) => void;
  commits: TopicPartitionOffset[][] = [];
  consumerOptions: ConsumerOptions[] = [];
  createConsumer(options: ConsumerOptions): BusConsumer {
    this.consumerOptions.push(options);
    return {
      connect: async () => undefined,
      subscribe: async () => undefined,
      run: async () => undefined,
      pause: () => undefined,
      resume: () => undefined,
      commit: async (o) => void this.commits.push(o),
      onLifecycle: (l) => (this.listener = l),
      disconnect: async () => undefined,
    };
  }
  createProducer(): BusProducer {
    throw new Error('not used');
  }
}

/** A DataSource that knows the messaging entities (what MessagingModule.forFeature() arranges). */
const registered = { getMetadata: () => ({ schema: 'svc', tableName: 'messaging_outbox' }) } as unknown as DataSource;

function transport(bus: FakeBus, extra: Partial<KafkaCommandTransportOptions> = {}) {
  return new KafkaCommandTransport({
    dataSource: registered,
    bus,
    topic: 't.commands',
    dlqTopic: 't.commands.dlq',
    eventsTopic: 't.events',
    groupId: 'g',
    source: 'test',
    outboxRelay: false,
    parseCommand: () => ({ ok: false, violations: [] }),
    ...extra,
  });
}

describe('KafkaCommandTransport health', () => {
  it('is ready only with an assignment, and not alive after a crash until it rejoins', async () => {
    const bus = new FakeBus();
    const t = transport(bus);
    await t.start();
    expect(t.isAlive()).toBe(true);
    expect(t.isReady()).toBe(false);
    bus.listener!({ kind: 'assigned', assignment: { 't.commands': [0, 1] } });
    expect(t.isReady()).toBe(true);
    bus.listener!({ kind: 'crash', error: new Error('broker gone'), restart: true });
    expect(t.isAlive()).toBe(false);
    expect(t.isReady()).toBe(false);
    bus.listener!({ kind: 'assigned', assignment: { 't.commands': [0] } });
    expect(t.isAlive()).toBe(true);
    bus.listener!({ kind: 'stop' });
    expect(t.isAlive()).toBe(false);
  });

  it('is not alive once closed', async () => {
    const bus = new FakeBus();
    const t = transport(bus);
    await t.start();
    bus.listener!({ kind: 'assigned', assignment: { 't.commands': [0] } });
    await t.close();
    expect(t.isAlive()).toBe(false);
  });
});

describe('KafkaCommandTransport consumer options', () => {
  it('passes session, heartbeat and rebalance timing to bus.createConsumer with its group id', async () => {
    const bus = new FakeBus();
    const t = transport(bus, { consumer: { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 1_000, rebalanceTimeoutMs: 20_000 } });
    await t.start();
    expect(bus.consumerOptions).toEqual([
      { groupId: 'g', sessionTimeoutMs: 6_000, heartbeatIntervalMs: 1_000, rebalanceTimeoutMs: 20_000 },
    ]);
  });

  it('asks for a plain consumer (adapter defaults) when no timing is given', async () => {
    const bus = new FakeBus();
    await transport(bus).start();
    expect(bus.consumerOptions).toEqual([{ groupId: 'g' }]);
  });

  it('refuses a heartbeat interval that is not below the session timeout, naming the field', () => {
    expect(() => transport(new FakeBus(), { consumer: { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 6_000 } })).toThrow(
      'consumer.heartbeatIntervalMs: must be less than consumer.sessionTimeoutMs',
    );
  });
});

describe('KafkaCommandTransport entity registration', () => {
  it('refuses a DataSource without InboxEntry/OutboxEntry, naming the entities and MessagingModule.forFeature()', () => {
    const bare = {
      getMetadata: (target: { name: string }) => {
        throw new Error(`No metadata for "${target.name}" was found.`);
      },
    } as unknown as DataSource;
    for (const outboxRelay of [false, undefined] as const) {
      expect(() => transport(new FakeBus(), { dataSource: bare, outboxRelay })).toThrow(
        'dataSource: entities InboxEntry, OutboxEntry are not registered; import MessagingModule.forFeature()',
      );
    }
  });

  it('MessagingModule.forFeature() registers exactly the messaging entities with TypeORM', () => {
    const feature = MessagingModule.forFeature();
    const typeorm = feature.imports![0] as DynamicModule;
    expect(typeorm.module).toBe(TypeOrmModule);
    expect((typeorm.providers ?? []).map((p) => (p as { provide: unknown }).provide)).toEqual(
      MESSAGING_ENTITIES.map((e) => getRepositoryToken(e)),
    );
    expect(feature.exports).toEqual([typeorm]);
  });
});

describe('KafkaJsMessageBus consumer options', () => {
  // Creating a kafkajs consumer opens no connection, so this needs no broker.
  function kafkaConsumerConfig(options: ConsumerOptions) {
    const bus = new KafkaJsMessageBus({ brokers: ['127.0.0.1:1'] });
    const spy = jest.spyOn(bus.unwrap(), 'consumer');
    bus.createConsumer(options);
    return spy.mock.calls[0]![0];
  }

  it('maps the timing options onto the kafkajs consumer config', () => {
    expect(
      kafkaConsumerConfig({ groupId: 'g', sessionTimeoutMs: 6_000, heartbeatIntervalMs: 1_500, rebalanceTimeoutMs: 20_000 }),
    ).toMatchObject({ groupId: 'g', sessionTimeout: 6_000, heartbeatInterval: 1_500, rebalanceTimeout: 20_000 });
  });

  it('waits at most 1 s per empty fetch by default (kafkajs: 5 s, which slows shutdown); maxWaitTimeMs overrides it', () => {
    expect(kafkaConsumerConfig({ groupId: 'g' })).toMatchObject({ maxWaitTimeInMs: 1_000 });
    expect(kafkaConsumerConfig({ groupId: 'g', maxWaitTimeMs: 250 })).toMatchObject({ maxWaitTimeInMs: 250 });
  });

  it('keeps heartbeats at a third of a short session when no interval is given', () => {
    expect(kafkaConsumerConfig({ groupId: 'g', sessionTimeoutMs: 6_000 })).toMatchObject({ sessionTimeout: 6_000, heartbeatInterval: 2_000 });
    expect(kafkaConsumerConfig({ groupId: 'g' })).toMatchObject({ sessionTimeout: 30_000, heartbeatInterval: 3_000, rebalanceTimeout: 60_000 });
  });
});

describe('KafkaCommandTransport back-pressure', () => {
  /** Feeds messages like the kafkajs adapter: one after another, waiting while onMessage returns a promise. */
  class FeedingBus extends FakeBus {
    onMessage?: (m: BusMessage) => Promise<void> | void;
    override createConsumer(options: ConsumerOptions): BusConsumer {
      const consumer = super.createConsumer(options);
      return { ...consumer, run: async (onMessage) => void (this.onMessage = onMessage) };
    }
  }

  it('keeps going with maxInFlight 1: each finished command lets the next one in (20 commands promptly)', async () => {
    const bus = new FeedingBus();
    let recorded = 0;
    const dataSource = {
      getMetadata: registered.getMetadata,
      // Each rejection is one inbox + outbox statement.
      query: async () => void recorded++,
    } as unknown as DataSource;
    const t = transport(bus, { dataSource, maxInFlight: 1, parseCommand: () => ({ ok: false, violations: [] }) });
    await t.start();
    let fed = 0;
    for (let i = 0; i < 20; i++) {
      const wait = bus.onMessage!({
        topic: 't.commands',
        partition: 0,
        offset: String(i),
        key: Buffer.from(`k${i}`),
        value: Buffer.from('not json'),
        headers: {},
      });
      if (wait) {
        const stalled = await Promise.race([wait.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), 2_000).unref())]);
        if (stalled) break;
      }
      fed++;
    }
    expect(fed).toBe(20);
    await t.shutdown();
    expect(recorded).toBe(20);
  });
});
