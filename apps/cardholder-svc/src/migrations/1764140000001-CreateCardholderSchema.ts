import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Baseline of the `cardholder` schema, owned by cardholder-svc alone (no other service reads or writes it).
 * The platform creates the schema before migrating (its migrations table lives there); this
 * migration makes that part of the recorded history and documents the owner.
 */
export class CreateCardholderSchema1764140000001 implements MigrationInterface {
  name = 'CreateCardholderSchema1764140000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('CREATE SCHEMA IF NOT EXISTS "cardholder"');
    await queryRunner.query(
      `COMMENT ON SCHEMA "cardholder" IS 'Issuing Bridge cardholder-svc: cardholder state, inbox, outbox'`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // The schema itself stays: it holds the migrations table of every later revert.
    await queryRunner.query('COMMENT ON SCHEMA "cardholder" IS NULL');
  }
}
