import { DataSource } from 'typeorm';
import { ensureDatabase, TEST_DATABASE_URL } from '../../../../test/support';
import { keepPostgresClientErrorsNonFatal } from './pool-errors';

// The fault suite saw services die of "Unhandled 'error' event … terminating connection due to
// administrator command" when Postgres restarted or cut connections. This proves the guard listens on
// every pooled client (held and idle) and that the pool recovers; the exact race that left a client
// without any listener was not reproduced in isolation (see the fault suite for that).
let dataSource: DataSource;
let admin: DataSource;
const seen: Error[] = [];

beforeAll(async () => {
  await ensureDatabase();
  dataSource = await new DataSource({ type: 'postgres', url: TEST_DATABASE_URL, applicationName: 'it-pool-errors', extra: { max: 4 } }).initialize();
  admin = await new DataSource({ type: 'postgres', url: TEST_DATABASE_URL, applicationName: 'it-pool-errors-admin', extra: { max: 1 } }).initialize();
  keepPostgresClientErrorsNonFatal(dataSource, (error) => seen.push(error));
});
afterAll(async () => {
  await dataSource?.destroy();
  await admin?.destroy();
});

async function backendPids(): Promise<number[]> {
  const rows: Array<{ pid: number }> = await dataSource.query(
    `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()
       AND application_name = 'it-pool-errors'`,
  );
  return rows.map((r) => r.pid);
}

it('the guard hears every pooled client cut by the server (held and idle) and the pool recovers', async () => {
  // One client held by a query runner, others idle in the pool.
  const held = dataSource.createQueryRunner();
  await held.connect();
  await Promise.all([1, 2, 3].map(() => dataSource.query('SELECT pg_sleep(0.05)')));
  const heldPid: number = (await held.query('SELECT pg_backend_pid() AS pid'))[0].pid;
  const pids = new Set([heldPid, ...(await backendPids())]);
  expect(pids.size).toBeGreaterThanOrEqual(2);

  await admin.query('SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid', [[...pids]]);
  await new Promise((resolve) => setTimeout(resolve, 500));

  expect(seen.length).toBeGreaterThan(0);
  expect(seen.every((e) => (e as { code?: string }).code === '57P01')).toBe(true);
  await held.release();
  // The pool replaced the broken clients.
  expect((await dataSource.query('SELECT 1 AS one'))[0].one).toBe(1);
});
