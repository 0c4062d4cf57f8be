import { DataSource, type MixedList, type EntitySchema } from 'typeorm';
import type { PostgresConnectionOptions } from 'typeorm/driver/postgres/PostgresConnectionOptions';

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
type MigrationClass = Function;

/** What a service tells the platform about its database. */
export interface ServiceDatabaseOptions {
  /** Postgres schema owned by the service (`cardholder`, `card`, `gateway`). Holds its migrations table too. */
  schema: string;
  /** Migration classes in order. Explicit lists (not globs) so they work from source, jest and webpack builds. */
  migrations: MigrationClass[];
  /** Entities not registered through `TypeOrmModule.forFeature` (those are loaded automatically). */
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities?: MixedList<Function | string | EntitySchema>;
  /** Shown in pg_stat_activity. */
  applicationName?: string;
}

export const MIGRATIONS_TABLE = 'migrations';
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export function assertSchemaName(schema: string): void {
  if (!SCHEMA_NAME.test(schema)) {
    throw new Error(
      `database schema "${schema}" must match ${SCHEMA_NAME} (lower-case identifier)`,
    );
  }
}

/** TypeORM options of one service: its own schema first on the search_path, never `synchronize`. */
export function buildDataSourceOptions(
  databaseUrl: string,
  options: ServiceDatabaseOptions,
): PostgresConnectionOptions {
  assertSchemaName(options.schema);
  return {
    type: 'postgres',
    url: databaseUrl,
    schema: options.schema,
    entities: options.entities ?? [],
    migrations: options.migrations,
    migrationsTableName: MIGRATIONS_TABLE,
    migrationsTransactionMode: 'each',
    // Migrations run under an advisory lock in runServiceMigrations, not by TypeORM's initialize().
    migrationsRun: false,
    synchronize: false,
    applicationName: options.applicationName ?? `issuing-bridge:${options.schema}`,
    // Unqualified names in migrations and raw queries resolve to the service's schema.
    extra: { options: `-c search_path=${options.schema},public` },
  };
}

/** A DataSource for a service, built from its config; call `.initialize()` yourself (scripts, tests). */
export function createServiceDataSource(
  config: { DATABASE_URL: string },
  options: ServiceDatabaseOptions,
): DataSource {
  return new DataSource(buildDataSourceOptions(config.DATABASE_URL, options));
}

async function underMigrationLock<T>(
  dataSource: DataSource,
  schema: string,
  work: () => Promise<T>,
): Promise<T> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    // Several instances of a service start together; one migrates, the others wait then find nothing to do.
    await runner.query('SELECT pg_advisory_lock(hashtext($1))', [
      `issuing-bridge:migrate:${schema}`,
    ]);
    try {
      return await work();
    } finally {
      await runner.query('SELECT pg_advisory_unlock(hashtext($1))', [
        `issuing-bridge:migrate:${schema}`,
      ]);
    }
  } finally {
    await runner.release();
  }
}

/** Creates the service schema when missing, then runs pending migrations (each in its own transaction). */
export async function runServiceMigrations(
  dataSource: DataSource,
  schema: string,
): Promise<string[]> {
  assertSchemaName(schema);
  return underMigrationLock(dataSource, schema, async () => {
    await dataSource.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((migration) => migration.name);
  });
}

/** Reverts the most recently applied migration of the service. */
export async function revertLastServiceMigration(
  dataSource: DataSource,
  schema: string,
): Promise<void> {
  assertSchemaName(schema);
  await underMigrationLock(dataSource, schema, () =>
    dataSource.undoLastMigration({ transaction: 'each' }),
  );
}
