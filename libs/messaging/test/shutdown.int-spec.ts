import { CommandAbandoned } from '../src';
import { EngineRig } from './engine-rig';
import { command, send, until } from './harness';
import { probe } from './test-handlers';

/**
 * Shutdown past the grace period on the real broker and Postgres: a handler still inside its provider
 * call when the transport abandons it must record nothing afterwards, and the next instance of the
 * group must get the command again and complete it once.
 */
jest.setTimeout(120_000);
const rig = new EngineRig(
  'shut',
  { partitions: { commands: 2, events: 2 }, collect: ['events', 'dlq'] },
  { shutdownGraceMs: 300, consumer: { sessionTimeoutMs: 6_000, maxWaitTimeMs: 200 } },
);
const { suffix, schema, topics } = rig;
const startInstance = () => rig.startInstance({ untilReady: true });

const byCommand = (id: string) =>
  rig.received.filter((r) => typeof r.value === 'object' && (r.value.causationid === id || r.value.id === id));
const inboxRows = (id: string) => rig.ds.query(`SELECT outcome FROM "${schema}".messaging_inbox WHERE command_id = $1`, [id]);
const outboxRows = (id: string) => rig.ds.query(`SELECT topic FROM "${schema}".messaging_outbox WHERE value LIKE $1`, [`%${id}%`]);
const stateRows = (key: string) => rig.ds.query(`SELECT seq FROM "${schema}".test_state WHERE key = $1`, [key]);

beforeAll(() => rig.start());
afterAll(() => rig.stop());

it('a handler blocked past the grace period records nothing after close; the next instance redelivers and completes it once', async () => {
  await startInstance();
  // Two commands stuck in a "provider call": one will complete late, one will fail late (non-retryable).
  const lateComplete = command('test.guarded.v1', `late-ok-${suffix}`, { key: `late-ok-${suffix}`, seq: 1 });
  const lateFailure = command('test.guarded.v1', `late-fail-${suffix}`, { key: `late-fail-${suffix}`, seq: 1 });
  for (const c of [lateComplete, lateFailure]) {
    probe.gate(c.id);
    await send(rig.producer, topics.commands, c.subject, c);
  }
  await until(() => probe.running === 2, 20_000, 'both commands inside their handler');

  await rig.instances[0]!.app.close(); // grace 300 ms, then abandoned
  probe.brokenIds.add(lateFailure.id);
  for (const c of [lateComplete, lateFailure]) probe.gates.get(c.id)!.open();
  await until(() => probe.running === 0, 10_000, 'late handlers to return');
  await new Promise((r) => setTimeout(r, 1_000)); // room for any late write or publish

  expect(probe.completeErrors.get(lateComplete.id)).toBeInstanceOf(CommandAbandoned);
  for (const c of [lateComplete, lateFailure]) {
    expect(await inboxRows(c.id)).toEqual([]);
    expect(await outboxRows(c.id)).toEqual([]); // no result, no failure event, no DLQ copy
    expect(await stateRows(c.subject)).toEqual([]);
    expect(byCommand(c.id)).toEqual([]);
  }

  // A new instance of the same group gets both again (offsets were not committed) and completes each once.
  probe.brokenIds.clear();
  await startInstance();
  await until(() => [lateComplete, lateFailure].every((c) => byCommand(c.id).length >= 1), 30_000, 'redelivered commands completed');
  await new Promise((r) => setTimeout(r, 500));
  for (const c of [lateComplete, lateFailure]) {
    expect(byCommand(c.id).map((r) => `${r.topic} ${(r.value as { type: string }).type}`)).toEqual([`${topics.events} test.worked.v1`]);
    expect(await inboxRows(c.id)).toEqual([{ outcome: 'handled' }]);
    expect(await stateRows(c.subject)).toEqual([{ seq: 1 }]);
  }
});
