import type { MigrationInterface, QueryRunner } from 'typeorm';

function ident(name: string, what = 'schema'): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`${what}: must match [a-z_][a-z0-9_]* (got an invalid name)`);
  return `"${name}"`;
}

/** Creates the inbox and outbox tables in `schema`; call it from the service's own migration. */
export async function messagingTablesUp(queryRunner: QueryRunner, schema: string): Promise<void> {
  const s = ident(schema);
  await queryRunner.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
  await queryRunner.query(`CREATE TABLE IF NOT EXISTS ${s}.messaging_inbox (
    command_id text NOT NULL,
    payload_hash text NOT NULL,
    command_type text,
    outcome text NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (command_id, payload_hash))`);
  await queryRunner.query(
    `CREATE UNIQUE INDEX IF NOT EXISTS messaging_inbox_one_outcome_per_id ON ${s}.messaging_inbox (command_id) WHERE outcome <> 'conflict'`,
  );
  await queryRunner.query(`CREATE TABLE IF NOT EXISTS ${s}.messaging_outbox (
    id bigserial PRIMARY KEY,
    topic text NOT NULL,
    key text,
    value text NOT NULL,
    headers jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    claimed_by text,
    claimed_until timestamptz,
    sent_at timestamptz)`);
  await queryRunner.query(
    `CREATE INDEX IF NOT EXISTS messaging_outbox_unsent ON ${s}.messaging_outbox (id) WHERE sent_at IS NULL`,
  );
}

export async function messagingTablesDown(queryRunner: QueryRunner, schema: string): Promise<void> {
  const s = ident(schema);
  await queryRunner.query(`DROP TABLE IF EXISTS ${s}.messaging_outbox`);
  await queryRunner.query(`DROP TABLE IF EXISTS ${s}.messaging_inbox`);
}

/**
 * Creates index `index` on `schema.table (columns)` unless a valid one exists. Outside a transaction
 * (a migration with `transaction = false`) it builds CONCURRENTLY, so a large table keeps taking
 * writes meanwhile; an invalid index left by a failed concurrent build is dropped and built again.
 */
export async function createIndexIfMissing(
  queryRunner: QueryRunner,
  schema: string,
  index: string,
  table: string,
  columns: string[],
): Promise<void> {
  const s = ident(schema);
  const online = queryRunner.isTransactionActive ? '' : 'CONCURRENTLY ';
  const found = (await queryRunner.query(
    `SELECT i.indisvalid AS valid FROM pg_index i
       JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 AND c.relname = $2`,
    [schema, index],
  )) as Array<{ valid: boolean }>;
  if (found[0]?.valid) return;
  if (found[0]) await queryRunner.query(`DROP INDEX ${online}${s}.${ident(index, 'index')}`);
  const cols = columns.map((c) => ident(c, 'column')).join(', ');
  await queryRunner.query(`CREATE INDEX ${online}${ident(index, 'index')} ON ${s}.${ident(table, 'table')} (${cols})`);
}

/** Drops `schema.index` when it exists (CONCURRENTLY outside a transaction). */
export async function dropIndexIfExists(queryRunner: QueryRunner, schema: string, index: string): Promise<void> {
  const online = queryRunner.isTransactionActive ? '' : 'CONCURRENTLY ';
  await queryRunner.query(`DROP INDEX ${online}IF EXISTS ${ident(schema)}.${ident(index, 'index')}`);
}

const INBOX_PROCESSED_AT_INDEX = 'messaging_inbox_processed_at';

/**
 * The index the inbox prune reads (`processed_at`), so each batch is a range scan instead of a scan
 * of up to 30 days of rows. Call it from a later migration of the service, after `messagingTablesUp`
 * (best with `transaction = false`: the index is then built without blocking inbox writes).
 */
export function messagingInboxRetentionIndexUp(queryRunner: QueryRunner, schema: string): Promise<void> {
  return createIndexIfMissing(queryRunner, schema, INBOX_PROCESSED_AT_INDEX, 'messaging_inbox', ['processed_at']);
}

export function messagingInboxRetentionIndexDown(queryRunner: QueryRunner, schema: string): Promise<void> {
  return dropIndexIfExists(queryRunner, schema, INBOX_PROCESSED_AT_INDEX);
}

/**
 * The service migration that adds the inbox retention index to `schema`, as a class named
 * `InboxRetentionIndex<timestamp>`. It runs without a transaction, so the index is built CONCURRENTLY
 * and commands keep being recorded meanwhile on a large inbox.
 */
export function inboxRetentionIndexMigration(schema: string, timestamp: number): new () => MigrationInterface {
  ident(schema);
  const name = `InboxRetentionIndex${timestamp}`;
  const migration = class implements MigrationInterface {
    name = name;
    transaction = false;
    up(queryRunner: QueryRunner): Promise<void> {
      return messagingInboxRetentionIndexUp(queryRunner, schema);
    }
    down(queryRunner: QueryRunner): Promise<void> {
      return messagingInboxRetentionIndexDown(queryRunner, schema);
    }
  };
  Object.defineProperty(migration, 'name', { value: name });
  return migration;
}
