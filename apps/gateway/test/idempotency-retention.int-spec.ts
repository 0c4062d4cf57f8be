import { randomUUID } from 'node:crypto';
import { ConflictException } from '@nestjs/common';
import { COMMAND_TYPES, createCommand } from '@issuing-bridge/contracts';
import { PRUNE_BATCH } from '@issuing-bridge/messaging';
import { createServiceDataSource, loadConfig, runServiceMigrations } from '@issuing-bridge/platform';
import type { DataSource } from 'typeorm';
import { ensureDatabase, queryDatabase, TEST_DATABASE_URL } from '../../../test/support';
import { CommandIntake } from '../src/commands/command-intake';
import { IdempotencyKeyRetention } from '../src/commands/idempotency-key-retention';
import { configSchema, type GatewayConfig } from '../src/config/config.schema';
import { databaseOptions } from '../src/database/database.options';
import type { GatewayPublisher } from '../src/kafka/gateway-publisher';

// Idempotency-Key retention against the real Postgres, in a database of this run (the gateway's
// tables live in the fixed schema `gateway`), migrated as the gateway does. Ages are written as old
// `created_at` values, never waited for. No broker: the publisher is a recorder.
jest.setTimeout(60_000);
const HOUR = 3_600_000;
const run = randomUUID().slice(0, 8);
const databaseName = `ib_idem_retention_${run}`;
const databaseUrl = (() => {
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${databaseName}`;
  return url.toString();
})();
let ds: DataSource;
let config: GatewayConfig;
const published: string[] = [];
const publisher = { publish: async (_topic: string, command: { id: string }) => void published.push(command.id) };

beforeAll(async () => {
  await ensureDatabase(databaseUrl);
  config = loadConfig(configSchema, { DATABASE_URL: databaseUrl });
  ds = createServiceDataSource(config, databaseOptions);
  await ds.initialize();
  await runServiceMigrations(ds, databaseOptions.schema);
});
afterAll(async () => {
  await ds?.destroy();
  await queryDatabase(`DROP DATABASE IF EXISTS "${databaseName}" WITH (FORCE)`);
});

async function keys(client: string): Promise<string[]> {
  const rows = (await ds.query(`SELECT idempotency_key FROM gateway.idempotency_keys WHERE api_client = $1`, [client])) as Array<{ idempotency_key: string }>;
  return rows.map((r) => r.idempotency_key).sort();
}

describe('Idempotency-Key retention', () => {
  it('the migration adds the created_at index the prune reads', async () => {
    const rows = (await ds.query(`SELECT indexname FROM pg_indexes WHERE schemaname = 'gateway' AND tablename = 'idempotency_keys'`)) as Array<{ indexname: string }>;
    expect(rows.map((r) => r.indexname)).toContain('idempotency_keys_created_at');
  });

  it('prunes keys older than the retention in more than one batch, keeps newer keys and every command status row', async () => {
    const client = `prune-${run}`;
    const old = PRUNE_BATCH * 2 + 17;
    await ds.query(
      `INSERT INTO gateway.idempotency_keys (api_client, idempotency_key, request_fingerprint, command_id, created_at)
       SELECT $1, 'old-' || n, 'fp', gen_random_uuid(), now() - interval '25 hours' FROM generate_series(1, $2) AS n`,
      [client, old],
    );
    await ds.query(
      `INSERT INTO gateway.idempotency_keys (api_client, idempotency_key, request_fingerprint, command_id, created_at)
       VALUES ($1, 'recent', 'fp', gen_random_uuid(), now() - interval '23 hours'), ($1, 'new', 'fp', gen_random_uuid(), now())`,
      [client],
    );
    // A command status row as old as the pruned keys: GET /v1/commands/{id} still needs it.
    const commandId = randomUUID();
    await ds.query(
      `INSERT INTO gateway.commands (command_id, command_type, api_client, status, created_at, updated_at)
       VALUES ($1, 'card.apply.v1', $2, 'succeeded', now() - interval '30 days', now() - interval '30 days')`,
      [commandId, client],
    );
    const retention = new IdempotencyKeyRetention(ds, config);
    expect(retention.pruner.retentionMs).toBe(24 * HOUR);

    expect(await retention.pruner.pruneOnce()).toBe(old);
    expect(await keys(client)).toEqual(['new', 'recent']);
    expect(await ds.query(`SELECT status FROM gateway.commands WHERE command_id = $1`, [commandId])).toEqual([{ status: 'succeeded' }]);
    expect(await retention.pruner.pruneOnce()).toBe(0);
  });

  describe('CommandIntake', () => {
    const intake = () => new CommandIntake(ds, publisher as unknown as GatewayPublisher, config);
    const command = () =>
      createCommand({ type: COMMAND_TYPES.cardStatusUpdate, source: 'gateway', data: { card_unique_no: `card-${run}`, action: 'freeze' } });

    it('replays the same command inside the window, answers 409 for another body, and treats a key past the window as new', async () => {
      const apiClient = `intake-${run}`;
      const idempotencyKey = `key-${randomUUID()}`;
      const first = command();
      expect(await intake().submit({ apiClient, idempotencyKey, fingerprint: 'fp-a', command: first })).toEqual({ commandId: first.id, replayed: false });
      // Replay 23 hours later: same command id, nothing published again.
      await ds.query(`UPDATE gateway.idempotency_keys SET created_at = now() - interval '23 hours' WHERE api_client = $1`, [apiClient]);
      expect(await intake().submit({ apiClient, idempotencyKey, fingerprint: 'fp-a', command: command() })).toEqual({ commandId: first.id, replayed: true });
      await expect(intake().submit({ apiClient, idempotencyKey, fingerprint: 'fp-b', command: command() })).rejects.toBeInstanceOf(ConflictException);
      expect(published.filter((id) => id === first.id)).toHaveLength(1);

      // 25 hours after the first request the key is forgotten, even though its row is not pruned yet.
      await ds.query(`UPDATE gateway.idempotency_keys SET created_at = now() - interval '25 hours' WHERE api_client = $1`, [apiClient]);
      const later = command();
      expect(await intake().submit({ apiClient, idempotencyKey, fingerprint: 'fp-b', command: later })).toEqual({ commandId: later.id, replayed: false });
      expect(published).toContain(later.id);
      // The key now belongs to the new request, with a fresh window.
      expect(await intake().submit({ apiClient, idempotencyKey, fingerprint: 'fp-b', command: command() })).toEqual({ commandId: later.id, replayed: true });
      // The first command's status row is still there for GET /v1/commands/{id}.
      expect(await ds.query(`SELECT status FROM gateway.commands WHERE command_id = $1`, [first.id])).toEqual([{ status: 'pending' }]);
    });
  });
});
