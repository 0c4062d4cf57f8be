import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DataSource } from 'typeorm';
import { ensureDatabase, TEST_DATABASE_URL, waitFor } from '../../../../test/support';
import { DurableWriteCrashPoint } from './durable-write-crash-point';

// The fault suite arms this to crash a service exactly after Postgres acknowledged a durable write.
// Here the kill is recorded instead of done, on the real Postgres through TypeORM's pool.
const table = `crash_point_it_${process.pid}`;
let dataSource: DataSource;
let file: string;
let crashPoint: DurableWriteCrashPoint;
const order: string[] = [];

beforeAll(async () => {
  await ensureDatabase();
  dataSource = await new DataSource({ type: 'postgres', url: TEST_DATABASE_URL, extra: { max: 3 } }).initialize();
  await dataSource.query(`CREATE TABLE IF NOT EXISTS ${table} (id serial PRIMARY KEY, note text)`);
  file = path.join(mkdtempSync(path.join(tmpdir(), 'crash-point-')), 'arm');
  crashPoint = new DurableWriteCrashPoint(file, (what) => order.push(`kill:${what}`), 10);
  crashPoint.install(dataSource);
});
afterAll(async () => {
  crashPoint?.stop();
  await dataSource?.query(`DROP TABLE IF EXISTS ${table}`);
  await dataSource?.destroy();
});
beforeEach(() => {
  order.length = 0;
});

async function arm(skip?: number, match?: string): Promise<void> {
  writeFileSync(file, skip === undefined ? '' : `${skip}${match ? ` ${match}` : ''}`);
  await waitFor(() => crashPoint.armed, { timeoutMs: 5000, intervalMs: 10, description: 'crash point armed' });
}

it('does nothing while the file is absent', async () => {
  await dataSource.query(`INSERT INTO ${table} (note) VALUES ('a')`);
  await dataSource.transaction((tx) => tx.query(`INSERT INTO ${table} (note) VALUES ('b')`));
  expect(order).toEqual([]);
  expect(crashPoint.armed).toBe(false);
});

it('fires at the COMMIT of a transaction, not at the writes inside it, before the caller continues', async () => {
  await arm();
  await dataSource.transaction(async (tx) => {
    await tx.query(`INSERT INTO ${table} (note) VALUES ('in tx')`);
    order.push('insert answered');
    await tx.query(`UPDATE ${table} SET note = 'updated in tx' WHERE note = 'in tx'`);
    order.push('update answered');
  });
  order.push('caller continued');
  expect(order).toEqual(['insert answered', 'update answered', 'kill:COMMIT', 'caller continued']);
  // Disarmed: the file is gone, so a restarted process would not crash again.
  expect(existsSync(file)).toBe(false);
  expect(crashPoint.armed).toBe(false);
  await dataSource.query(`INSERT INTO ${table} (note) VALUES ('after')`);
  expect(order).toHaveLength(4);
});

it('counts autocommitted writes, skips reads, and honours the skip count in the file', async () => {
  await arm(1);
  await dataSource.query(`SELECT count(*) FROM ${table}`);
  await dataSource.query(`INSERT INTO ${table} (note) VALUES ('first')`);
  order.push('first answered');
  await dataSource.query(`WITH x AS (INSERT INTO ${table} (note) VALUES ('second') RETURNING id) SELECT id FROM x`);
  order.push('second answered');
  expect(order).toEqual(['first answered', 'kill:WITH', 'second answered']);
});

it('does not fire for a rolled-back transaction or a failed write', async () => {
  await arm();
  await expect(
    dataSource.transaction(async (tx) => {
      await tx.query(`INSERT INTO ${table} (note) VALUES ('rolled back')`);
      throw new Error('abort');
    }),
  ).rejects.toThrow('abort');
  await expect(dataSource.query(`INSERT INTO ${table} (id, note) VALUES ('not a number', 'x')`)).rejects.toThrow();
  expect(order).toEqual([]);
  expect(crashPoint.armed).toBe(true);
  await dataSource.query(`DELETE FROM ${table} WHERE note = 'nothing'`);
  expect(order).toEqual(['kill:DELETE']);
});

it('with a text to match, counts only writes (and transactions) whose statements contain it', async () => {
  const other = `${table}_other`;
  await dataSource.query(`CREATE TABLE IF NOT EXISTS ${other} (id serial PRIMARY KEY)`);
  try {
    await arm(0, table.toUpperCase() + ' (note)');
    await dataSource.query(`INSERT INTO ${other} DEFAULT VALUES`);
    await dataSource.transaction((tx) => tx.query(`INSERT INTO ${other} DEFAULT VALUES`));
    order.push('other table written');
    await dataSource.transaction(async (tx) => {
      await tx.query(`INSERT INTO ${other} DEFAULT VALUES`);
      await tx.query(`INSERT INTO ${table} (note) VALUES ('aimed at')`);
    });
    order.push('caller continued');
    expect(order).toEqual(['other table written', 'kill:COMMIT', 'caller continued']);
  } finally {
    await dataSource.query(`DROP TABLE IF EXISTS ${other}`);
  }
});
