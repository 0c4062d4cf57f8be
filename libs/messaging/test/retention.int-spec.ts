import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import {
  DEFAULT_INBOX_RETENTION_MS,
  KafkaCommandTransport,
  KafkaJsMessageBus,
  kafkaBrokersFromEnv,
  messagingInboxRetentionIndexDown,
  messagingInboxRetentionIndexUp,
  OutboxRelay,
  PRUNE_BATCH,
  RetentionPruner,
} from '../src';
import { createSchemaDataSource, dropSchema, until } from './harness';

// Retention of the inbox and the outbox against the real Postgres, in a throwaway schema. Ages are
// set by writing old timestamps, never by waiting.
jest.setTimeout(60_000);
const schema = `msg_retention_${randomUUID().slice(0, 8)}`;
const DAY = 86_400_000;
const bus = new KafkaJsMessageBus({ brokers: kafkaBrokersFromEnv(), clientId: 'retention-it' });
let ds: DataSource;

beforeAll(async () => {
  ds = await createSchemaDataSource(schema);
});
afterAll(() => dropSchema(ds, schema));

/** `count` inbox rows processed `ageDays` ago, outcomes cycling through all four (`failed` included). */
async function inboxRows(tag: string, count: number, ageDays: number): Promise<void> {
  await ds.query(
    `INSERT INTO "${schema}".messaging_inbox (command_id, payload_hash, command_type, outcome, processed_at)
     SELECT $1 || '-' || n, 'hash', 'test.v1', (ARRAY['handled','rejected','failed','conflict'])[1 + n % 4],
            now() - make_interval(days => $3)
     FROM generate_series(1, $2) AS n`,
    [tag, count, ageDays],
  );
}

async function inboxCount(tag: string): Promise<number> {
  const [row] = (await ds.query(`SELECT count(*)::int AS n FROM "${schema}".messaging_inbox WHERE command_id LIKE $1 || '-%'`, [tag])) as Array<{ n: number }>;
  return row!.n;
}

/** The transport as an app builds it; never started here (only its inbox pruner is used). */
function transport(inboxRetentionMs?: number): KafkaCommandTransport {
  return new KafkaCommandTransport({
    dataSource: ds,
    bus,
    topic: `it.retention.${schema}.commands`,
    dlqTopic: `it.retention.${schema}.commands.dlq`,
    eventsTopic: `it.retention.${schema}.events`,
    groupId: `it-retention-${schema}`,
    source: 'retention-it',
    outboxRelay: false,
    inboxRetentionMs,
  });
}

describe('inbox retention', () => {
  it('defaults to 30 days, and rejects a retention of 0 naming the option', () => {
    expect(DEFAULT_INBOX_RETENTION_MS).toBe(30 * DAY);
    expect(transport().inboxPruner.retentionMs).toBe(30 * DAY);
    expect(() => transport(0)).toThrow('inboxRetentionMs: must be greater than 0');
  });

  it('deletes rows of every outcome processed before the retention, in more than one batch, and keeps newer rows', async () => {
    const tag = `inbox-${randomUUID()}`;
    const old = PRUNE_BATCH * 2 + 345;
    await inboxRows(`${tag}-old`, old, 31);
    await inboxRows(`${tag}-recent`, 7, 29);
    await inboxRows(`${tag}-new`, 5, 0);

    expect(await transport().inboxPruner.pruneOnce()).toBe(old);
    expect(await inboxCount(`${tag}-old`)).toBe(0);
    expect(await inboxCount(`${tag}-recent`)).toBe(7);
    expect(await inboxCount(`${tag}-new`)).toBe(5);
    // The configured retention is the one applied: 28 days takes the 29-day-old rows too.
    expect(await transport(28 * DAY).inboxPruner.pruneOnce()).toBe(7);
    expect(await inboxCount(`${tag}-new`)).toBe(5);
  });

  it('prunes on its own interval once started, until stopped', async () => {
    const tag = `timer-${randomUUID()}`;
    await inboxRows(`${tag}-old`, 3, 40);
    await inboxRows(`${tag}-new`, 2, 1);
    const pruner = new RetentionPruner({
      dataSource: ds,
      table: `"${schema}"."messaging_inbox"`,
      key: 'command_id, payload_hash',
      timeColumn: 'processed_at',
      retentionMs: 30 * DAY,
      intervalMs: 50,
    });
    pruner.start();
    try {
      await until(async () => (await inboxCount(`${tag}-old`)) === 0, 10_000, 'the 40-day-old rows pruned by the timer');
    } finally {
      await pruner.stop();
    }
    expect(await inboxCount(`${tag}-new`)).toBe(2);
  });

  it('has the processed_at index the prune reads, made by the migration helper (idempotent, reversible)', async () => {
    const indexes = async () =>
      ((await ds.query(`SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND tablename = 'messaging_inbox'`, [schema])) as Array<{ indexname: string }>)
        .map((r) => r.indexname)
        .filter((name) => name === 'messaging_inbox_processed_at');
    const runner = ds.createQueryRunner();
    try {
      expect(await indexes()).toEqual([]);
      await messagingInboxRetentionIndexUp(runner, schema); // outside a transaction: CONCURRENTLY
      await messagingInboxRetentionIndexUp(runner, schema);
      expect(await indexes()).toEqual(['messaging_inbox_processed_at']);
      await messagingInboxRetentionIndexDown(runner, schema);
      expect(await indexes()).toEqual([]);
      await runner.startTransaction();
      await messagingInboxRetentionIndexUp(runner, schema); // inside one: a plain CREATE INDEX
      await runner.commitTransaction();
      expect(await indexes()).toEqual(['messaging_inbox_processed_at']);
    } finally {
      await runner.release();
    }
  });
});

describe('outbox retention', () => {
  it('deletes rows sent before the retention in more than one batch; newer sent rows and unsent rows stay', async () => {
    const key = `outbox-${randomUUID()}`;
    const insert = (kind: string, count: number, createdDays: number, sentDays: number | null) =>
      ds.query(
        `INSERT INTO "${schema}".messaging_outbox (topic, key, value, created_at, sent_at)
         SELECT 'it.retention', $1, $2, now() - make_interval(days => $4),
                CASE WHEN $5::int IS NULL THEN NULL ELSE now() - make_interval(days => $5::int) END
         FROM generate_series(1, $3)`,
        [key, kind, count, createdDays, sentDays],
      );
    const old = PRUNE_BATCH + 650;
    await insert('old-sent', old, 9, 8);
    await insert('recent-sent', 4, 9, 6);
    await insert('old-unsent', 3, 30, null);
    const relay = new OutboxRelay({ dataSource: ds, bus, pruneIntervalMs: 0 });

    expect(await relay.pruneOnce()).toBe(old);
    const left = (await ds.query(
      `SELECT value, count(*)::int AS n FROM "${schema}".messaging_outbox WHERE key = $1 GROUP BY value ORDER BY value`,
      [key],
    )) as Array<{ value: string; n: number }>;
    expect(left).toEqual([
      { value: 'old-unsent', n: 3 },
      { value: 'recent-sent', n: 4 },
    ]);
    expect(await relay.pruneOnce()).toBe(0);
  });
});
