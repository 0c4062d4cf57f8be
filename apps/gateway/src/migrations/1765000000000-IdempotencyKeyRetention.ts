import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createIndexIfMissing, dropIndexIfExists } from '@issuing-bridge/messaging';

/**
 * Index on `idempotency_keys.created_at` for the retention prune (IdempotencyKeyRetention). No
 * transaction: the index is built CONCURRENTLY, so requests keep inserting keys meanwhile.
 */
export class IdempotencyKeyRetention1765000000000 implements MigrationInterface {
  name = 'IdempotencyKeyRetention1765000000000';
  transaction = false;

  async up(queryRunner: QueryRunner): Promise<void> {
    await createIndexIfMissing(queryRunner, 'gateway', 'idempotency_keys_created_at', 'idempotency_keys', ['created_at']);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await dropIndexIfExists(queryRunner, 'gateway', 'idempotency_keys_created_at');
  }
}
