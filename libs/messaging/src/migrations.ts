import type { QueryRunner } from 'typeorm';

function ident(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`schema: must match [a-z_][a-z0-9_]* (got an invalid name)`);
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
