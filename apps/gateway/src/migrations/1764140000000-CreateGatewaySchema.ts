import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Baseline of the `gateway` schema, owned by gateway alone (no other service reads or writes it).
 * The platform creates the schema before migrating (its migrations table lives there); this
 * migration makes that part of the recorded history and documents the owner.
 */
export class CreateGatewaySchema1764140000000 implements MigrationInterface {
  name = 'CreateGatewaySchema1764140000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('CREATE SCHEMA IF NOT EXISTS "gateway"');
    await queryRunner.query(
      `COMMENT ON SCHEMA "gateway" IS 'Issuing Bridge gateway: HTTP edge, command status read model'`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // The schema itself stays: it holds the migrations table of every later revert.
    await queryRunner.query('COMMENT ON SCHEMA "gateway" IS NULL');
  }
}
