import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Tables of the HTTP edge: idempotency keys (per API client), the command status / entity read model
 * fed by the events topics, and the KeySecure callback ids already published (deduplication).
 * No column holds a CVV, PIN or their sealed form.
 */
export class GatewayApiTables1764300000000 implements MigrationInterface {
  name = 'GatewayApiTables1764300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "gateway"."idempotency_keys" (
        "api_client" text NOT NULL,
        "idempotency_key" text NOT NULL,
        "request_fingerprint" text NOT NULL,
        "command_id" uuid NOT NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY ("api_client", "idempotency_key")
      )`);
    await queryRunner.query(`
      CREATE TABLE "gateway"."commands" (
        "command_id" uuid PRIMARY KEY,
        "command_type" text,
        "subject" text,
        "api_client" text,
        "status" text NOT NULL CHECK ("status" IN ('pending', 'succeeded', 'failed', 'rejected')),
        "result" jsonb,
        "error_code" text,
        "error_message" text,
        "violations" jsonb,
        "event_id" uuid,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "updated_at" timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE "gateway"."cardholders" (
        "cardholder_unique_no" text PRIMARY KEY,
        "cardholder_no" text,
        "kyc_status" text,
        "fail_reason" text,
        "updated_at" timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE "gateway"."cards" (
        "card_unique_no" text PRIMARY KEY,
        "card_no" text,
        "cardholder_no" text,
        "card_type" text,
        "status" text,
        "status_reason" text,
        "updated_at" timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE "gateway"."keysecure_callbacks" (
        "callback_id" text PRIMARY KEY,
        "action" text NOT NULL,
        "event_id" uuid NOT NULL,
        "received_at" timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of [
      'keysecure_callbacks',
      'cards',
      'cardholders',
      'commands',
      'idempotency_keys',
    ]) {
      await queryRunner.query(`DROP TABLE "gateway"."${table}"`);
    }
  }
}
