import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Baseline of the `card` schema, owned by card-svc alone (no other service reads or writes it).
 * The platform creates the schema before migrating (its migrations table lives there); this
 * migration makes that part of the recorded history and documents the owner.
 */
export class CreateCardSchema1764140000002 implements MigrationInterface {
  name = 'CreateCardSchema1764140000002';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('CREATE SCHEMA IF NOT EXISTS "card"');
    await queryRunner.query(
      `COMMENT ON SCHEMA "card" IS 'Issuing Bridge card-svc: card state, inbox, outbox'`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // The schema itself stays: it holds the migrations table of every later revert.
    await queryRunner.query('COMMENT ON SCHEMA "card" IS NULL');
  }
}
