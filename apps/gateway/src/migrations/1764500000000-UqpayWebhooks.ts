import type { MigrationInterface, QueryRunner } from 'typeorm';

/** UQPAY webhook event ids already published (deduplication: UQPAY retries until it gets a 2xx). */
export class UqpayWebhooks1764500000000 implements MigrationInterface {
  name = 'UqpayWebhooks1764500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "gateway"."uqpay_webhooks" (
        "event_id" text PRIMARY KEY,
        "event_type" text NOT NULL,
        "message_id" uuid NOT NULL,
        "received_at" timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "gateway"."uqpay_webhooks"`);
  }
}
