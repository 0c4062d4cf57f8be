import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { RetentionPruner } from '@issuing-bridge/messaging';
import { InjectAppConfig } from '@issuing-bridge/platform';
import type { GatewayConfig } from '../config/config.schema';

export const IDEMPOTENCY_KEYS_TABLE = '"gateway"."idempotency_keys"';

/**
 * Forgets Idempotency-Keys after `GATEWAY_IDEMPOTENCY_KEY_RETENTION_MS` (24 h by default, as Stripe's
 * API): every 10 minutes (first one 10 minutes after start) the rows older than that are deleted in
 * batches of 1000, `FOR UPDATE SKIP LOCKED` so N gateways do not collide. `CommandIntake` already
 * treats a key past the window as new, so the prune only reclaims space. The command status rows
 * (`gateway.commands`, read by `GET /v1/commands/{id}`) are a separate table and are not touched.
 */
@Injectable()
export class IdempotencyKeyRetention implements OnApplicationBootstrap, OnModuleDestroy {
  readonly pruner: RetentionPruner;

  constructor(dataSource: DataSource, @InjectAppConfig() config: GatewayConfig) {
    this.pruner = new RetentionPruner({
      dataSource,
      table: IDEMPOTENCY_KEYS_TABLE,
      key: 'api_client, idempotency_key',
      timeColumn: 'created_at',
      retentionMs: config.GATEWAY_IDEMPOTENCY_KEY_RETENTION_MS,
      optionNames: ['GATEWAY_IDEMPOTENCY_KEY_RETENTION_MS', 'pruneIntervalMs'],
      logger: new Logger('IdempotencyKeyRetention'),
    });
  }

  onApplicationBootstrap(): void {
    this.pruner.start();
  }

  onModuleDestroy(): Promise<void> {
    return this.pruner.stop();
  }
}
