import { createHmac } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Command } from '@issuing-bridge/contracts';
import { InjectAppConfig } from '@issuing-bridge/platform';
import type { GatewayConfig } from '../config/config.schema';
import { gatewayTopics, type GatewayTopics } from '../kafka/gateway-topics';
import { GatewayPublisher } from '../kafka/gateway-publisher';
import { idempotencyConflict } from '../http/api-errors';

export interface SubmitRequest {
  apiClient: string;
  /** Optional Idempotency-Key header, already validated. */
  idempotencyKey?: string;
  /** HMAC of the request (see requestFingerprint); compared when a key is reused. */
  fingerprint: string;
  command: Command;
}

export interface SubmitOutcome {
  commandId: string;
  /** true when an earlier request with the same Idempotency-Key is answered again. */
  replayed: boolean;
}

/**
 * Fingerprint of a request for Idempotency-Key comparison. HMAC keyed with the caller's API key, so
 * the stored value cannot be brute-forced back into a 3-digit CVV or a PIN without that key.
 */
export function requestFingerprint(apiKey: string, route: string, body: unknown): string {
  return createHmac('sha256', apiKey)
    .update(`${route}\n${canonicalJson(body)}`)
    .digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * Turns an accepted HTTP request into one published command. The idempotency row, the pending status
 * row and the publish share one transaction: if the broker does not acknowledge, nothing is kept and
 * a retry publishes again; a concurrent retry with the same key waits on the row and then replays.
 */
@Injectable()
export class CommandIntake {
  private readonly topics: GatewayTopics;
  private readonly keyRetentionMs: number;

  constructor(
    private readonly dataSource: DataSource,
    private readonly publisher: GatewayPublisher,
    @InjectAppConfig() config: GatewayConfig,
  ) {
    this.topics = gatewayTopics(config);
    this.keyRetentionMs = config.GATEWAY_IDEMPOTENCY_KEY_RETENTION_MS;
  }

  async submit(request: SubmitRequest): Promise<SubmitOutcome> {
    const { apiClient, idempotencyKey, fingerprint, command } = request;
    return this.dataSource.transaction(async (manager) => {
      if (idempotencyKey !== undefined) {
        // A key is remembered for GATEWAY_IDEMPOTENCY_KEY_RETENTION_MS: a row older than that (not
        // pruned yet) is taken over by this request, as if the key were new.
        const inserted: unknown[] = await manager.query(
          `INSERT INTO "gateway"."idempotency_keys" AS k (api_client, idempotency_key, request_fingerprint, command_id)
           VALUES ($1, $2, $3, $4)
           ON CONFLICT (api_client, idempotency_key) DO UPDATE
             SET request_fingerprint = EXCLUDED.request_fingerprint, command_id = EXCLUDED.command_id, created_at = now()
             WHERE k.created_at < now() - make_interval(secs => $5::double precision / 1000)
           RETURNING command_id`,
          [apiClient, idempotencyKey, fingerprint, command.id, this.keyRetentionMs],
        );
        if (inserted.length === 0) {
          const [existing] = (await manager.query(
            `SELECT request_fingerprint, command_id FROM "gateway"."idempotency_keys"
             WHERE api_client = $1 AND idempotency_key = $2`,
            [apiClient, idempotencyKey],
          )) as { request_fingerprint: string; command_id: string }[];
          if (existing.request_fingerprint !== fingerprint) throw idempotencyConflict();
          return { commandId: existing.command_id, replayed: true };
        }
      }
      await manager.query(
        `INSERT INTO "gateway"."commands" (command_id, command_type, subject, api_client, status)
         VALUES ($1, $2, $3, $4, 'pending')
         ON CONFLICT (command_id) DO UPDATE SET command_type = EXCLUDED.command_type,
           subject = EXCLUDED.subject, api_client = EXCLUDED.api_client`,
        [command.id, command.type, command.subject, apiClient],
      );
      await this.publisher.publish(this.topics.commandTopicFor(command.type), command);
      return { commandId: command.id, replayed: false };
    });
  }
}
