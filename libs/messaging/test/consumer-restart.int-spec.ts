import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { TOPICS } from '@issuing-bridge/contracts';
import { KafkaJsMessageBus, type BusConsumer, type ConsumerLifecycleEvent, type MessagingLogEntry } from '../src';
import { OwnKafka } from '../../../test/faults/infrastructure';
import { freePort } from '../../../test/support';

// A crash kafkajs does not restart (restart=false) must be restarted by the adapter, and no
// rejection may escape: an unhandled one kills the gateway (node exits 1).
jest.setTimeout(240_000);

const REPO_ROOT = path.resolve(__dirname, '../../..');
const unhandled: unknown[] = [];
const recordUnhandled = (reason: unknown): void => void unhandled.push(reason);

let kafka: OwnKafka;
const consumers: BusConsumer[] = [];

beforeAll(async () => {
  process.on('unhandledRejection', recordUnhandled);
  kafka = await OwnKafka.create(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/issuing_bridge');
});
afterAll(async () => {
  for (const c of consumers) await c.disconnect().catch(() => undefined);
  await kafka?.destroy();
  process.off('unhandledRejection', recordUnhandled);
});

async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

function recordingLogger(): { entries: MessagingLogEntry[]; log: (e: MessagingLogEntry) => void; warn: (e: MessagingLogEntry) => void; error: (e: MessagingLogEntry) => void } {
  const entries: MessagingLogEntry[] = [];
  const push = (e: MessagingLogEntry): void => void entries.push(e);
  return { entries, log: push, warn: push, error: push };
}

/** kafkajs never restarts by itself here: every recovery below is the adapter's own restart. */
function busWithoutKafkajsRestart(logger: ReturnType<typeof recordingLogger>): KafkaJsMessageBus {
  return new KafkaJsMessageBus({
    brokers: [kafka.brokers],
    clientId: `it-restart-${randomUUID().slice(0, 6)}`,
    logLevel: 0,
    logger,
    consumerRestart: { initialDelayMs: 500, maxDelayMs: 3_000 },
    retry: { retries: 3, initialRetryTime: 200, maxRetryTime: 1_000, restartOnFailure: async () => false },
  });
}

async function produce(bus: KafkaJsMessageBus, topic: string, value: string): Promise<void> {
  const producer = bus.createProducer({ idempotent: false });
  await producer.connect();
  try {
    await producer.send([{ topic, key: 'k', value, headers: {} }]);
  } finally {
    await producer.disconnect();
  }
}

test('a 15 s broker outage: the consumer comes back by itself and receives a message produced afterwards', async () => {
  const logger = recordingLogger();
  const bus = busWithoutKafkajsRestart(logger);
  const consumer = bus.createConsumer({ groupId: `it-restart-outage-${randomUUID().slice(0, 6)}`, sessionTimeoutMs: 6_000 });
  consumers.push(consumer);
  const lifecycle: ConsumerLifecycleEvent[] = [];
  consumer.onLifecycle((e) => lifecycle.push(e));
  const seen: string[] = [];
  await consumer.connect();
  await consumer.subscribe([TOPICS.cardholderEvents], false);
  await consumer.run(async (m) => {
    seen.push(m.value?.toString() ?? '');
    await consumer.commit([{ topic: m.topic, partition: m.partition, offset: (BigInt(m.offset) + 1n).toString() }]);
  });
  await until(() => lifecycle.some((e) => e.kind === 'assigned'), 30_000, 'first assignment');

  await kafka.stop();
  await new Promise((r) => setTimeout(r, 15_000));
  const crashes = lifecycle.filter((e) => e.kind === 'crash');
  expect(crashes.length).toBeGreaterThan(0);
  const kafkajsWouldRestart = crashes.some((e) => e.kind === 'crash' && e.restart === false);
  expect(kafkajsWouldRestart).toBe(false); // the adapter reports restart: true for its own restarts
  const afterOutage = lifecycle.length;
  await kafka.start();

  await until(() => lifecycle.slice(afterOutage).some((e) => e.kind === 'assigned'), 90_000, 'assignment after the outage');
  const value = `after-outage-${randomUUID()}`;
  await produce(bus, TOPICS.cardholderEvents, value);
  await until(() => seen.includes(value), 60_000, 'the message produced after the outage');
  expect(unhandled).toEqual([]);
});

test('the gateway survives a 15 s broker outage and is ready again afterwards', async () => {
  const port = await freePort();
  const gateway: ChildProcess = spawn(process.execPath, ['-r', '@swc-node/register', 'apps/gateway/src/main.ts'], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      KAFKA_BROKERS: kafka.brokers,
      GATEWAY_PORT: String(port),
      GATEWAY_READ_MODEL_GROUP: `it-restart-gw-${randomUUID().slice(0, 6)}`,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  gateway.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  gateway.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  let exitCode: number | null | undefined;
  gateway.on('exit', (code) => (exitCode = code));
  const ready = async (): Promise<boolean> => {
    try {
      return (await fetch(`http://127.0.0.1:${port}/health/ready`)).status === 200;
    } catch {
      return false;
    }
  };
  try {
    await until(ready, 90_000, 'gateway ready');
    await kafka.stop();
    await new Promise((r) => setTimeout(r, 15_000));
    expect(await ready()).toBe(false);
    await kafka.start();
    await until(ready, 120_000, 'gateway ready after the outage');
    expect({ exitCode, unhandled: /unhandled|uncaught/i.test(output) }).toEqual({ exitCode: undefined, unhandled: false });
  } finally {
    gateway.kill('SIGTERM');
    await new Promise((r) => (exitCode !== undefined ? r(undefined) : gateway.once('exit', r)));
  }
});
