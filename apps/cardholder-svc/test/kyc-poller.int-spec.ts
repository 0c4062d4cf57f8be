/**
 * The KYC poller against real Postgres and the in-process sandbox: two pollers (two service
 * instances) claiming at the same moment never take the same cardholder, a lease that runs out makes a
 * cardholder claimable again, and concurrent polls write each real change once.
 */
import { randomUUID } from 'node:crypto';
import { KeySecureClient } from '@issuing-bridge/keysecure';
import { MESSAGING_ENTITIES, Outbox, OutboxEntry, type OutboxRelay } from '@issuing-bridge/messaging';
import { createServiceDataSource, loadConfig, runServiceMigrations } from '@issuing-bridge/platform';
import type { DataSource } from 'typeorm';
import {
  startKeySecureSandbox,
  SANDBOX_DEFAULT_API_KEY,
  SANDBOX_DEFAULT_API_SECRET,
  type RunningSandbox,
} from '../../keysecure-sandbox/src/sandbox';
import { ensureDatabase } from '../../../test/support';
import { Cardholder } from '../src/cardholders/cardholder.entity';
import { KycPoller } from '../src/cardholders/kyc-poller';
import { configSchema } from '../src/config/config.schema';
import { databaseOptions } from '../src/database/database.options';

jest.setTimeout(60_000);

const run = randomUUID().slice(0, 8);
const EVENTS_TOPIC = `it.kyc-poller.${run}.events`;
const DATABASE_URL = (() => {
  const url = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/issuing_bridge');
  url.pathname = `${url.pathname}_cardholder_poll_it`; // own database: no service of another test polls these rows
  return url.toString();
})();

let sandbox: RunningSandbox;
let ds: DataSource;
let client: KeySecureClient;
const keys: string[] = [];
const numbers = new Map<string, string>();

function poller(overrides: Record<string, string> = {}): KycPoller {
  const config = loadConfig(configSchema, {
    DATABASE_URL,
    KEYSECURE_BASE_URL: sandbox.url,
    CARDHOLDER_EVENTS_TOPIC: EVENTS_TOPIC,
    KYC_POLL_INITIAL_MS: '50',
    KYC_POLL_MAX_MS: '100',
    KYC_POLL_LEASE_MS: '10000',
    KYC_POLL_BATCH_SIZE: '100',
    ...overrides,
  });
  // The poller only needs the transport's outbox (its relay); no Kafka in this test.
  return new KycPoller(ds, client, config, { relay: { outbox: new Outbox() } as OutboxRelay });
}

const mine = <T extends { cardholderUniqueNo: string }>(rows: T[]) => rows.filter((r) => keys.includes(r.cardholderUniqueNo));

async function makeDue(): Promise<void> {
  await ds.query(
    `UPDATE cardholder.cardholders SET next_poll_at = now() - interval '1 second', poll_lease_until = NULL, poll_lease_owner = NULL
     WHERE cardholder_unique_no = ANY($1)`,
    [keys],
  );
}

beforeAll(async () => {
  sandbox = await startKeySecureSandbox({ kycStepDelayMs: 600_000 }); // KYC moves only when the test says so
  client = new KeySecureClient({ baseUrl: sandbox.url, apiKey: SANDBOX_DEFAULT_API_KEY, apiSecret: SANDBOX_DEFAULT_API_SECRET });
  await ensureDatabase(DATABASE_URL);
  ds = createServiceDataSource({ DATABASE_URL }, { ...databaseOptions, entities: [Cardholder, ...MESSAGING_ENTITIES] });
  await ds.initialize();
  await runServiceMigrations(ds, databaseOptions.schema);
  await ds.query(`UPDATE cardholder.cardholders SET next_poll_at = NULL WHERE next_poll_at IS NOT NULL`);
  for (let i = 0; i < 30; i++) {
    const key = `it-${run}-poll-${i}`;
    const created = await client.applyCardholder({ cardholder_unique_no: key, sumsub_share_token: 'share-token-ok' });
    keys.push(key);
    numbers.set(key, created.cardholder_no);
    await ds.getRepository(Cardholder).insert({
      cardholderUniqueNo: key,
      cardholderNo: created.cardholder_no,
      kycStatus: 'Pending',
      nextPollAt: new Date(Date.now() - 1_000),
    });
  }
});

afterAll(async () => {
  await ds?.query(`UPDATE cardholder.cardholders SET next_poll_at = NULL WHERE cardholder_unique_no = ANY($1)`, [keys]);
  await ds?.destroy();
  await client?.close();
  await sandbox?.close();
});

describe('KycPoller claims', () => {
  it('gives two instances claiming at once disjoint cardholders, and none while the lease holds', async () => {
    await makeDue();
    const a = poller();
    const b = poller();
    const [claimedByA, claimedByB] = await Promise.all([a.claimDue(), b.claimDue()]);
    const ofA = mine(claimedByA).map((c) => c.cardholderUniqueNo);
    const ofB = mine(claimedByB).map((c) => c.cardholderUniqueNo);
    expect(ofA.filter((k) => ofB.includes(k))).toEqual([]);
    expect([...ofA, ...ofB].sort()).toEqual([...keys].sort());
    expect(mine(await a.claimDue())).toEqual([]);
    expect(mine(await poller().claimDue())).toEqual([]);
  });

  it('lets another instance take a cardholder once the lease of a dead one ran out', async () => {
    await makeDue();
    const dead = poller({ KYC_POLL_LEASE_MS: '700' });
    expect(mine(await dead.claimDue())).toHaveLength(keys.length);
    const survivor = poller();
    expect(mine(await survivor.claimDue())).toEqual([]);
    await new Promise((r) => setTimeout(r, 900));
    expect(mine(await survivor.claimDue())).toHaveLength(keys.length);
  });
});

describe('KycPoller polls', () => {
  it('polls each due cardholder once across two instances and records each real change once', async () => {
    await makeDue();
    for (const key of keys) sandbox.setKycStatus(numbers.get(key)!, 'In_progress');
    sandbox.addFault({ kind: 'latency', endpoint: 'cardholder.info', latencyMs: 150 }); // polls overlap in time
    const infoBefore = sandbox.state.calls['cardholder.info'] ?? 0;
    const a = poller();
    const b = poller();
    await Promise.all([a.tick(), b.tick()]);
    sandbox.clearFaults();
    const infoCalls = (sandbox.state.calls['cardholder.info'] ?? 0) - infoBefore;
    expect(infoCalls).toBe(keys.length);

    // Polled again (due now): unchanged, so no more events; then the final status, once.
    await makeDue();
    await Promise.all([a.tick(), b.tick()]);
    for (const key of keys.slice(0, 10)) sandbox.setKycStatus(numbers.get(key)!, 'Approved');
    for (const key of keys.slice(10, 20)) sandbox.setKycStatus(numbers.get(key)!, 'Rejected', 'document unreadable');
    await makeDue();
    await Promise.all([a.tick(), b.tick()]);
    await makeDue();
    await Promise.all([a.tick(), b.tick()]);

    const outbox = await ds.getRepository(OutboxEntry).find({ where: { topic: EVENTS_TOPIC }, order: { id: 'ASC' } });
    const changes = (key: string) =>
      outbox
        .filter((r) => r.key === key)
        .map((r) => JSON.parse(r.value) as { data: { before: string; after: string; fail_reason: string | null; source: string } })
        .map((e) => `${e.data.before}->${e.data.after}${e.data.fail_reason ? `(${e.data.fail_reason})` : ''}:${e.data.source}`);
    for (const key of keys.slice(0, 10)) expect(changes(key)).toEqual(['Pending->In_progress:poll', 'In_progress->Approved:poll']);
    for (const key of keys.slice(10, 20)) {
      expect(changes(key)).toEqual(['Pending->In_progress:poll', 'In_progress->Rejected(document unreadable):poll']);
    }
    for (const key of keys.slice(20)) expect(changes(key)).toEqual(['Pending->In_progress:poll']);

    const rows = await ds.getRepository(Cardholder).findBy(keys.map((k) => ({ cardholderUniqueNo: k })));
    const byKey = new Map(rows.map((r) => [r.cardholderUniqueNo, r]));
    // Final statuses stop the polling; the rest stay followed.
    for (const key of keys.slice(0, 20)) expect(byKey.get(key)!.nextPollAt).toBeNull();
    for (const key of keys.slice(20)) expect(byKey.get(key)!.nextPollAt).not.toBeNull();
    expect(byKey.get(keys[10]!)!.failReason).toBe('document unreadable');
  });
});
