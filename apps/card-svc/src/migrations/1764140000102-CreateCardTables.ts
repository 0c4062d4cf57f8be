import { messagingTablesDown, messagingTablesUp } from '@issuing-bridge/messaging';
import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Card state (`card.cards`), the issuance poller's schedule and lease columns, the reconciliation
 * cursor, and the messaging engine's inbox/outbox. No plaintext CVV / PIN column exists on purpose.
 */
export class CreateCardTables1764140000102 implements MigrationInterface {
  name = 'CreateCardTables1764140000102';

  async up(queryRunner: QueryRunner): Promise<void> {
    await messagingTablesUp(queryRunner, 'card');
    await queryRunner.query(`CREATE TABLE "card".cards (
      card_unique_no text PRIMARY KEY,
      card_no text,
      cardholder_no text NOT NULL,
      card_type text NOT NULL,
      card_last_no text,
      organization text,
      status text NOT NULL,
      status_time timestamptz NOT NULL,
      provider text NOT NULL DEFAULT 'keysecure',
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      next_poll_at timestamptz,
      poll_attempts integer NOT NULL DEFAULT 0,
      poll_lease_until timestamptz,
      poll_lease_owner text)`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX cards_provider_card_no ON "card".cards (provider, card_no) WHERE card_no IS NOT NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX cards_due_poll ON "card".cards (next_poll_at) WHERE next_poll_at IS NOT NULL`,
    );
    await queryRunner.query(`CREATE TABLE "card".reconciliation_cursor (
      job text PRIMARY KEY,
      window_start timestamptz NOT NULL,
      page integer NOT NULL,
      run_started_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now())`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE IF EXISTS "card".reconciliation_cursor`);
    await queryRunner.query(`DROP TABLE IF EXISTS "card".cards`);
    await messagingTablesDown(queryRunner, 'card');
  }
}
