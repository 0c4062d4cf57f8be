import { randomUUID } from 'node:crypto';
import type { INestMicroservice } from '@nestjs/common';
import { replayDeadLetters, type KafkaCommandTransport } from '../src';
import { EngineRig } from './engine-rig';
import { command, send, until } from './harness';
import { probe } from './test-handlers';

jest.setTimeout(120_000);
const rig = new EngineRig(
  'engine',
  { partitions: { commands: 3, events: 3 }, collect: ['events', 'dlq'] },
  { maxInFlight: 32, retry: { initialDelayMs: 20, maxDelayMs: 200, deadlineMs: 2_000 } },
);
const { suffix, schema, topics, groupId, kafka } = rig;

let app: INestMicroservice;
let transport: KafkaCommandTransport;

const eventsFor = (ids: string[]) =>
  rig.received.filter((r) => typeof r.value === 'object' && ids.includes(String((r.value as Record<string, unknown>).causationid)));
const rejectionsFor = (id: string) =>
  rig.received.filter((r) => r.topic === topics.events && typeof r.value === 'object' && (r.value.data as { command_id?: string })?.command_id === id);
const dlqFor = (id: string) => rig.received.filter((r) => r.topic === topics.dlq && String(r.value && (r.value as { id?: string }).id) === id);

async function committedOffsets(): Promise<Map<number, bigint>> {
  const admin = kafka.admin();
  await admin.connect();
  const [entry] = await admin.fetchOffsets({ groupId, topics: [topics.commands] });
  await admin.disconnect();
  return new Map(entry!.partitions.map((p) => [p.partition, BigInt(p.offset)]));
}

beforeAll(async () => {
  await rig.start();
  ({ app, transport } = await rig.startInstance({ untilReady: true }));
});
afterAll(() => rig.stop());

beforeEach(() => probe.reset());

it('keeps per-key order while different keys run in parallel (200 commands over 20 keys)', async () => {
  const keys = Array.from({ length: 20 }, (_, i) => `order-${suffix}-${i}`);
  const ids: string[] = [];
  const messages = [];
  for (let seq = 0; seq < 10; seq++) {
    for (const key of keys) {
      const c = command('test.work.v1', key, { key, seq, sleepMs: 15 });
      ids.push(c.id);
      messages.push({ key, value: JSON.stringify(c) });
    }
  }
  await rig.producer.send({ topic: topics.commands, messages });
  await until(() => eventsFor(ids).length === 200, 60_000, '200 events');

  for (const key of keys) {
    const calls = probe.calls.filter((c) => c.key === key);
    expect(calls.map((c) => c.seq)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // strictly in order: each call of a key starts after the previous one ended
    for (let i = 1; i < calls.length; i++) expect(calls[i]!.start).toBeGreaterThanOrEqual(calls[i - 1]!.end);
    const published = eventsFor(ids).filter((e) => e.key === key).map((e) => (e.value as { data: { seq: number } }).data.seq);
    expect(published).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  }
  // 3 partitions, yet far more than 3 commands ran at once
  expect(probe.maxRunning).toBeGreaterThan(5);
  const rows = await rig.ds.query(`SELECT count(*)::int AS n FROM "${schema}".test_state WHERE key LIKE $1`, [`order-${suffix}-%`]);
  expect(rows[0].n).toBe(200);
});

it('never commits past an unfinished command, and commits once it finishes', async () => {
  const key = `gate-${suffix}`;
  const blocked = command('test.work.v1', key, { key, seq: 0 });
  probe.gate(blocked.id);
  await send(rig.producer, topics.commands, key, blocked);
  await until(() => probe.running === 1, 20_000, 'blocked command to start');
  // later commands on other keys finish on every partition
  const others = Array.from({ length: 30 }, (_, i) => command('test.work.v1', `free-${suffix}-${i}`, { key: `free-${suffix}-${i}`, seq: 0 }));
  for (const c of others) await send(rig.producer, topics.commands, c.data.key as string, c);
  await until(() => eventsFor(others.map((c) => c.id)).length === 30, 30_000, 'other keys');
  await new Promise((r) => setTimeout(r, 300)); // several commit intervals

  const blockedOffset = await offsetOf(blocked.id);
  const committed = await committedOffsets();
  expect(committed.get(blockedOffset.partition)! <= blockedOffset.offset).toBe(true);

  probe.gates.get(blocked.id)!.open();
  await until(async () => (await committedOffsets()).get(blockedOffset.partition)! > blockedOffset.offset, 20_000, 'commit past released command');
});

/** Finds where a command landed by reading the command topic. */
async function offsetOf(id: string): Promise<{ partition: number; offset: bigint }> {
  const c = kafka.consumer({ groupId: `it-find-${randomUUID()}` });
  await c.connect();
  await c.subscribe({ topic: topics.commands, fromBeginning: true });
  let found: { partition: number; offset: bigint } | undefined;
  await c.run({
    eachMessage: async ({ partition, message }) => {
      if (message.value?.toString().includes(id)) found = { partition, offset: BigInt(message.offset) };
    },
  });
  await until(() => found !== undefined, 20_000, 'command on topic');
  await c.disconnect();
  return found!;
}

it('a redelivered command makes no second handler call and no second event', async () => {
  const key = `dup-${suffix}`;
  const c = command('test.work.v1', key, { key, seq: 1 });
  await send(rig.producer, topics.commands, key, c);
  await until(() => eventsFor([c.id]).length === 1, 20_000, 'first event');
  await send(rig.producer, topics.commands, key, { ...c, time: new Date().toISOString() });
  const marker = command('test.work.v1', key, { key, seq: 2 });
  await send(rig.producer, topics.commands, key, marker); // same key, so it runs after the duplicate
  await until(() => eventsFor([marker.id]).length === 1, 20_000, 'marker event');
  expect(probe.calls.filter((x) => x.id === c.id)).toHaveLength(1);
  expect(eventsFor([c.id])).toHaveLength(1);
});

it('the same id with a different payload is rejected as a conflict', async () => {
  const key = `conflict-${suffix}`;
  const c = command('test.work.v1', key, { key, seq: 1 });
  await send(rig.producer, topics.commands, key, c);
  await until(() => eventsFor([c.id]).length === 1, 20_000, 'first event');
  await send(rig.producer, topics.commands, key, { ...c, data: { key, seq: 99 } });
  await until(() => rejectionsFor(c.id).length === 1, 20_000, 'conflict rejection');
  const rejection = rejectionsFor(c.id)[0]!.value as { type: string; data: { violations: Array<{ field: string; rule: string }> } };
  expect(rejection.type).toBe('command.rejected.v1');
  expect(rejection.data.violations).toEqual([expect.objectContaining({ field: 'id', rule: 'conflict' })]);
  expect(probe.calls.filter((x) => x.id === c.id)).toHaveLength(1);
});

it('an invalid command gives one rejection naming field and rule, and one DLQ copy', async () => {
  const key = `invalid-${suffix}`;
  const bad = command('test.work.v1', key, { seq: 1, secret: 'do-not-echo' });
  await send(rig.producer, topics.commands, key, bad);
  await send(rig.producer, topics.commands, key, bad); // redelivery: still one rejection
  const marker = command('test.work.v1', key, { key, seq: 2 });
  await send(rig.producer, topics.commands, key, marker);
  await until(() => eventsFor([marker.id]).length === 1 && dlqFor(bad.id).length >= 1, 20_000, 'rejection and DLQ');
  const rejections = rejectionsFor(bad.id);
  expect(rejections).toHaveLength(1);
  const data = (rejections[0]!.value as { data: { violations: Array<{ field: string; rule: string }> } }).data;
  expect(data.violations).toEqual([expect.objectContaining({ field: 'data.key', rule: 'required' })]);
  expect(JSON.stringify(rejections[0]!.value)).not.toContain('do-not-echo');
  const dlq = dlqFor(bad.id);
  expect(dlq).toHaveLength(1);
  expect(dlq[0]!.headers).toMatchObject({ 'dlq-reason': 'validation', 'dlq-original-topic': topics.commands });
  expect(dlq[0]!.headers['dlq-original-offset']).toMatch(/^\d+$/);
  expect(probe.calls.filter((x) => x.id === bad.id)).toHaveLength(0);
});

it('a rejection builder that throws does not make the record a poison pill', async () => {
  const key = `poison-builder-${suffix}`;
  const bad = command('test.work.v1', key, { seq: 1 });
  await send(rig.producer, topics.commands, key, bad);
  const next = command('test.work.v1', key, { key, seq: 2 });
  await send(rig.producer, topics.commands, key, next);
  await until(() => eventsFor([next.id]).length === 1, 20_000, 'next command on the same key');
  expect(rejectionsFor(bad.id)).toHaveLength(1); // plain fallback envelope
  expect((rejectionsFor(bad.id)[0]!.value as { type: string }).type).toBe('command.rejected.v1');
  expect(dlqFor(bad.id)).toHaveLength(1);
});

it('a retryable failure is retried and succeeds once the fault clears', async () => {
  const key = `flaky-${suffix}`;
  probe.failingKeys.add(key);
  const c = command('test.work.v1', key, { key, seq: 1 });
  await send(rig.producer, topics.commands, key, c);
  await new Promise((r) => setTimeout(r, 500));
  expect(eventsFor([c.id])).toHaveLength(0);
  probe.failingKeys.delete(key);
  await until(() => eventsFor([c.id]).length === 1, 20_000, 'event after fault cleared');
  expect((eventsFor([c.id])[0]!.value as { type: string }).type).toBe('test.worked.v1');
  expect(dlqFor(c.id)).toHaveLength(0);
});

it('a fault that never clears ends in the failure event and a DLQ copy, while other keys proceed', async () => {
  const key = `forever-${suffix}`;
  const c = command('test.forever.v1', key, { key });
  await send(rig.producer, topics.commands, key, c);
  await until(() => probe.calls.some((x) => x.id === c.id), 20_000, 'first attempt');
  // meanwhile other keys are served well before the 2 s deadline
  const others = Array.from({ length: 10 }, (_, i) => command('test.work.v1', `bystander-${suffix}-${i}`, { key: `bystander-${suffix}-${i}` }));
  for (const o of others) await send(rig.producer, topics.commands, o.data.key as string, o);
  await until(() => eventsFor(others.map((o) => o.id)).length === 10, 20_000, 'bystanders');
  // the bystanders all finished while the failing key was still retrying
  expect(eventsFor([c.id])).toHaveLength(0);

  await until(() => eventsFor([c.id]).length === 1 && dlqFor(c.id).length === 1, 20_000, 'failure event and DLQ');
  const failure = eventsFor([c.id])[0]!.value as { type: string; data: { code: string } };
  expect(failure).toMatchObject({ type: 'test.failed.v1', data: { code: 'provider_unavailable' } });
  expect(dlqFor(c.id)[0]!.headers['dlq-reason']).toBe('provider_unavailable');
  expect(probe.calls.filter((x) => x.id === c.id).length).toBeGreaterThan(1);
});

it('dlq replay runs a command that failed for good once more; a second replay is a no-op', async () => {
  const key = `replay-${suffix}`;
  probe.failingKeys.add(key);
  const c = command('test.work.v1', key, { key, seq: 7 });
  await send(rig.producer, topics.commands, key, c);
  await until(() => dlqFor(c.id).length === 1, 20_000, 'DLQ copy after deadline');
  expect(eventsFor([c.id])).toHaveLength(0); // no failure builder for this type: only the DLQ copy

  probe.failingKeys.delete(key);
  const dry = await replayDeadLetters({ kafka, topic: topics.dlq, ids: [c.id], dryRun: true });
  expect(dry).toMatchObject({ published: 0, selected: [expect.objectContaining({ commandId: c.id, originalTopic: topics.commands })] });
  await replayDeadLetters({ kafka, topic: topics.dlq, ids: [c.id] });
  await until(() => eventsFor([c.id]).length === 1, 20_000, 'event after replay');
  expect((eventsFor([c.id])[0]!.value as { type: string }).type).toBe('test.worked.v1');

  await replayDeadLetters({ kafka, topic: topics.dlq, ids: [c.id] });
  const marker = command('test.work.v1', key, { key, seq: 8 });
  await send(rig.producer, topics.commands, key, marker);
  await until(() => eventsFor([marker.id]).length === 1, 20_000, 'marker');
  expect(eventsFor([c.id])).toHaveLength(1);
  await expect(replayDeadLetters({ kafka, topic: topics.dlq, ids: [randomUUID()] })).rejects.toThrow(/--id: not found/);
});

it('reports metrics for handled commands', async () => {
  const { register } = await import('prom-client');
  const text = await register.metrics();
  expect(text).toMatch(/messaging_commands_handled_total\{type="test.work.v1",outcome="handled"\} \d+/);
  expect(text).toMatch(/messaging_commands_handled_total\{type="test.work.v1",outcome="duplicate"\} \d+/);
  expect(text).toContain('messaging_command_handling_seconds_bucket');
});

it('retries a command whose transaction lost its Postgres connection instead of failing it', async () => {
  probe.terminate = async (pid) => {
    await rig.ds.query('SELECT pg_terminate_backend($1)', [pid]);
  };
  const key = `cut-${suffix}`;
  const c = command('test.guarded.v1', key, { key, seq: 1 });
  probe.cutConnectionIds.add(c.id);
  await send(rig.producer, topics.commands, key, c);
  await until(() => eventsFor([c.id]).length >= 1, 30_000, 'a result for the command');
  await until(async () => (await rig.ds.query(`SELECT 1 FROM "${schema}".messaging_inbox WHERE command_id = $1`, [c.id])).length === 1, 10_000, 'the inbox row');

  // The first attempt's error was a lost connection; the second attempt did the work.
  expect(probe.cutConnectionIds.has(c.id)).toBe(false);
  expect(probe.completeErrors.has(c.id)).toBe(true);
  expect(eventsFor([c.id]).map((e) => (e.value as { type: string }).type)).toEqual(['test.worked.v1']);
  expect(dlqFor(c.id)).toEqual([]);
  expect(probe.calls.filter((call) => call.id === c.id)).toHaveLength(1);
  const rows = await rig.ds.query(`SELECT seq FROM "${schema}".test_state WHERE key = $1`, [key]);
  expect(rows).toEqual([{ seq: 1 }]);
});

it('records the inbox row and the result events atomically: no inbox row while the outbox write fails', async () => {
  const key = `atomic-${suffix}`;
  // Refuses outbox rows of this key with a retryable error (serialization failure), as a failover would.
  await rig.ds.query(`CREATE FUNCTION "${schema}".refuse_${suffix}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN IF NEW.key = '${key}' THEN RAISE EXCEPTION 'outbox write refused (test)' USING ERRCODE = '40001'; END IF; RETURN NEW; END $$`);
  await rig.ds.query(`CREATE TRIGGER refuse BEFORE INSERT ON "${schema}".messaging_outbox FOR EACH ROW EXECUTE FUNCTION "${schema}".refuse_${suffix}()`);
  const inboxRows = async (id: string) => rig.ds.query(`SELECT outcome FROM "${schema}".messaging_inbox WHERE command_id = $1`, [id]);
  const c = command('test.guarded.v1', key, { key, seq: 7 });
  try {
    await send(rig.producer, topics.commands, key, c);
    await until(() => probe.completeErrors.has(c.id), 30_000, 'a refused outbox write');
    // The handler's state and the inbox row went down with the outbox rows.
    expect(await inboxRows(c.id)).toEqual([]);
    expect(await rig.ds.query(`SELECT 1 FROM "${schema}".test_state WHERE key = $1`, [key])).toEqual([]);
  } finally {
    await rig.ds.query(`DROP TRIGGER refuse ON "${schema}".messaging_outbox`);
  }
  await until(() => eventsFor([c.id]).length >= 1, 30_000, 'the result once the outbox accepts it');
  expect(eventsFor([c.id]).map((e) => (e.value as { type: string }).type)).toEqual(['test.worked.v1']);
  expect(await inboxRows(c.id)).toEqual([{ outcome: 'handled' }]);
});

it('graceful shutdown finishes in-flight commands, flushes the outbox and commits everything', async () => {
  const cmds = Array.from({ length: 6 }, (_, i) => command('test.work.v1', `shutdown-${suffix}-${i}`, { key: `shutdown-${suffix}-${i}`, sleepMs: 1_500 }));
  for (const c of cmds) await send(rig.producer, topics.commands, c.data.key as string, c);
  await until(() => probe.running === 6, 20_000, 'all six in flight');
  await app.close();
  expect(transport.isAlive()).toBe(false);
  expect(probe.calls.filter((x) => cmds.some((c) => c.id === x.id))).toHaveLength(6);
  const backlog = await rig.ds.query(`SELECT count(*)::int AS n FROM "${schema}".messaging_outbox WHERE sent_at IS NULL`);
  expect(backlog[0].n).toBe(0);
  await until(() => eventsFor(cmds.map((c) => c.id)).length === 6, 10_000, 'flushed events');
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topics.commands);
  await admin.disconnect();
  const committed = await committedOffsets();
  for (const e of ends.filter((x) => x.high !== '0')) expect(committed.get(e.partition)?.toString()).toBe(e.high);
});
