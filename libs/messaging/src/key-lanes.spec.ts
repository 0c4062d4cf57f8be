import { KeyLanes } from './key-lanes';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('KeyLanes', () => {
  it('runs one key strictly in order and different keys in parallel', async () => {
    const lanes = new KeyLanes();
    const log: string[] = [];
    let running = 0;
    let maxRunning = 0;
    const task = (key: string, i: number) => async () => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      log.push(`${key}${i}:start`);
      await sleep(5 + ((i * 7) % 11));
      log.push(`${key}${i}:end`);
      running--;
    };
    for (let i = 0; i < 5; i++) for (const k of ['a', 'b', 'c']) void lanes.run(k, task(k, i));
    expect(lanes.size).toBe(15);
    await lanes.whenIdle();
    for (const k of ['a', 'b', 'c']) {
      const mine = log.filter((l) => l.startsWith(k));
      const expected = [0, 1, 2, 3, 4].flatMap((i) => [`${k}${i}:start`, `${k}${i}:end`]);
      expect(mine).toEqual(expected);
    }
    expect(maxRunning).toBe(3);
    expect(lanes.size).toBe(0);
    expect(lanes.activeKeys).toBe(0);
  });

  it('a failing task does not stop its lane', async () => {
    const lanes = new KeyLanes();
    const done: number[] = [];
    void lanes.run('k', async () => {
      throw new Error('boom');
    });
    void lanes.run('k', async () => {
      done.push(2);
    });
    await lanes.whenIdle();
    expect(done).toEqual([2]);
  });
});
