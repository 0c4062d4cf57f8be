import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import type { MigrationInterface, QueryRunner } from 'typeorm';
import {
  ensureDatabase,
  queryDatabase,
  REPO_ROOT,
  TEST_DATABASE_URL,
} from '../../../../test/support';
import {
  createServiceDataSource,
  revertLastServiceMigration,
  runServiceMigrations,
} from './service-data-source';

// A throwaway schema per run: reverting a real service's schema would break tests running beside this one.
const schema = `platform_it_${randomBytes(4).toString('hex')}`;

class CreateWidgets1700000000000 implements MigrationInterface {
  name = 'CreateWidgets1700000000000';
  async up(queryRunner: QueryRunner): Promise<void> {
    // Unqualified on purpose: the service schema is first on the search_path.
    await queryRunner.query('CREATE TABLE widgets (id uuid PRIMARY KEY, name text NOT NULL)');
  }
  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE widgets');
  }
}

const options = { schema, migrations: [CreateWidgets1700000000000] };
const tablesOf = async (name: string) =>
  (
    await queryDatabase<{ table_name: string }>(
      'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name',
      [name],
    )
  ).map((row) => row.table_name);

describe('service database migrations (real Postgres)', () => {
  beforeAll(() => ensureDatabase());
  afterAll(() => queryDatabase(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));

  it('creates the schema, keeps the migrations table inside it, and reverts', async () => {
    const dataSource = await createServiceDataSource(
      { DATABASE_URL: TEST_DATABASE_URL },
      options,
    ).initialize();
    try {
      expect(await runServiceMigrations(dataSource, schema)).toEqual([
        'CreateWidgets1700000000000',
      ]);
      expect(await tablesOf(schema)).toEqual(['migrations', 'widgets']);
      expect(await queryDatabase(`SELECT name FROM "${schema}".migrations`)).toEqual([
        { name: 'CreateWidgets1700000000000' },
      ]);
      // Nothing leaks into public.
      expect(await tablesOf('public')).not.toContain('widgets');

      expect(await runServiceMigrations(dataSource, schema)).toEqual([]);

      await revertLastServiceMigration(dataSource, schema);
      expect(await tablesOf(schema)).toEqual(['migrations']);
      expect(await queryDatabase(`SELECT name FROM "${schema}".migrations`)).toEqual([]);
    } finally {
      await dataSource.destroy();
    }
  });

  it('lets two instances migrate at once: one applies, the other finds nothing to do', async () => {
    const concurrentSchema = `${schema}_b`;
    const both = [0, 1].map(() =>
      createServiceDataSource(
        { DATABASE_URL: TEST_DATABASE_URL },
        { ...options, schema: concurrentSchema },
      ),
    );
    try {
      await Promise.all(both.map((ds) => ds.initialize()));
      const applied = await Promise.all(
        both.map((ds) => runServiceMigrations(ds, concurrentSchema)),
      );
      expect(applied.flat()).toEqual(['CreateWidgets1700000000000']);
      expect(await tablesOf(concurrentSchema)).toEqual(['migrations', 'widgets']);
    } finally {
      await Promise.all(both.map((ds) => (ds.isInitialized ? ds.destroy() : undefined)));
      await queryDatabase(`DROP SCHEMA IF EXISTS "${concurrentSchema}" CASCADE`);
    }
  });

  it('refuses a schema name that is not a plain identifier', () => {
    expect(() =>
      createServiceDataSource(
        { DATABASE_URL: TEST_DATABASE_URL },
        { schema: 'card"; DROP', migrations: [] },
      ),
    ).toThrow('database schema');
  });

  it.each([
    ['gateway', 'gateway'],
    ['cardholder-svc', 'cardholder'],
    ['card-svc', 'card'],
  ])('npm run migration:run -- %s migrates the app without starting it', (app, appSchema) => {
    const result = spawnSync(
      process.execPath,
      ['-r', '@swc-node/register', 'scripts/migrate.ts', 'run', app],
      {
        cwd: REPO_ROOT,
        encoding: 'utf8',
      },
    );
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(`${app}:`);
    return queryDatabase<{ name: string }>(
      `SELECT name FROM "${appSchema}".migrations ORDER BY id`,
    ).then((rows) => expect(rows[0]?.name).toMatch(/^Create\w+Schema\d+$/));
  });

  it('migrate.ts rejects an unknown app with its usage', () => {
    const result = spawnSync(
      process.execPath,
      ['-r', '@swc-node/register', 'scripts/migrate.ts', 'run', 'nope'],
      {
        cwd: REPO_ROOT,
        encoding: 'utf8',
      },
    );
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(
      'usage: migrate.ts <run|revert> <gateway|cardholder-svc|card-svc>',
    );
  });
});
