import { EngineRig } from './engine-rig';
import { command, until } from './harness';
import { probe } from './test-handlers';

jest.setTimeout(180_000);
const rig = new EngineRig('rebal', { partitions: { commands: 6, events: 3 }, collect: ['events'] }, { maxInFlight: 16 });
const { suffix, schema, topics } = rig;
const startInstance = async () => (await rig.startInstance()).transport;

beforeAll(() => rig.start());
afterAll(() => rig.stop());

it('two instances through a rebalance: every command takes effect once, each key in order', async () => {
  const a = await startInstance();
  await until(() => a.isReady(), 30_000, 'first instance assigned');
  const keys = Array.from({ length: 30 }, (_, i) => `rb-${suffix}-${i}`);
  const ids: string[] = [];
  const sendRound = async (seq: number) => {
    const messages = keys.map((key) => {
      const c = command('test.work.v1', key, { key, seq, sleepMs: 250 });
      ids.push(c.id);
      return { key, value: JSON.stringify(c) };
    });
    await rig.producer.send({ topic: topics.commands, messages });
  };
  for (let seq = 0; seq < 5; seq++) await sendRound(seq);
  const b = await startInstance(); // joins mid-stream: the group rebalances while work is in flight
  let bBusy = 0;
  const sampler = setInterval(() => (bBusy = Math.max(bBusy, b.inFlight)), 20);
  for (let seq = 5; seq < 10; seq++) {
    await sendRound(seq);
    await new Promise((r) => setTimeout(r, 100));
  }
  await until(() => a.isReady() && b.isReady(), 60_000, 'both instances assigned');
  await until(() => new Set(rig.received.map((r) => (r.value as { causationid: string }).causationid)).size === 300, 90_000, '300 events');
  await new Promise((r) => setTimeout(r, 500));
  clearInterval(sampler);

  expect(bBusy).toBeGreaterThan(0); // the second instance really took over partitions with work
  expect(rig.received).toHaveLength(300); // no duplicates
  for (const key of keys) {
    const seqs = rig.received.filter((r) => r.key === key).map((r) => (r.value as { data: { seq: number } }).data.seq);
    expect(seqs).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  }
  const state = await rig.ds.query(`SELECT count(*)::int AS n FROM "${schema}".test_state`);
  expect(state[0].n).toBe(300); // state written once per command
  expect(probe.calls).toHaveLength(300);
});
