import type { MigrationInterface, QueryRunner } from 'typeorm';
import { messagingTablesDown, messagingTablesUp } from '@issuing-bridge/messaging';

/**
 * Cardholder state plus the messaging engine's inbox and outbox, all in schema `cardholder`.
 * `cardholder_no` is KeySecure's number and is not unique here: the merchant-side unique number is the key.
 * The poll columns drive KYC following: a row is due when `next_poll_at` has passed and no live lease holds it.
 */
export class CreateCardholderTables1764140000002 implements MigrationInterface {
  name = 'CreateCardholderTables1764140000002';

  async up(queryRunner: QueryRunner): Promise<void> {
    await messagingTablesUp(queryRunner, 'cardholder');
    await queryRunner.query(`CREATE TABLE "cardholder"."cardholders" (
      cardholder_unique_no text PRIMARY KEY,
      cardholder_no text NOT NULL,
      kyc_status text NOT NULL CHECK (kyc_status IN ('Pending', 'In_progress', 'Approved', 'Rejected')),
      fail_reason text,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      version integer NOT NULL DEFAULT 1,
      next_poll_at timestamptz,
      poll_attempts integer NOT NULL DEFAULT 0,
      poll_lease_until timestamptz,
      poll_lease_owner text)`);
    await queryRunner.query(
      `CREATE INDEX cardholders_due ON "cardholder"."cardholders" (next_poll_at) WHERE next_poll_at IS NOT NULL`,
    );
    await queryRunner.query(`CREATE INDEX cardholders_cardholder_no ON "cardholder"."cardholders" (cardholder_no)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE IF EXISTS "cardholder"."cardholders"`);
    await messagingTablesDown(queryRunner, 'cardholder');
  }
}
