import type { DataSource } from 'typeorm';
import { KafkaCommandTransport } from './kafka-command-transport';
import type { BusConsumer, BusProducer, ConsumerLifecycleEvent, MessageBus, TopicPartitionOffset } from './message-bus';

/** A fake bus: the only faked collaborator; lets the test fire kafkajs-like lifecycle events. */
class FakeBus implements MessageBus {
  listener?: (e: ConsumerLifecycleEvent) => void;
  commits: TopicPartitionOffset[][] = [];
  createConsumer(): BusConsumer {
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

function transport(bus: FakeBus) {
  return new KafkaCommandTransport({
    dataSource: {} as DataSource,
    bus,
    topic: 't.commands',
    dlqTopic: 't.commands.dlq',
    eventsTopic: 't.events',
    groupId: 'g',
    source: 'test',
    outboxRelay: false,
    parseCommand: () => ({ ok: false, violations: [] }),
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
