import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { COMMAND_TYPES, EVENT_TYPES } from '@issuing-bridge/contracts';
import { waitFor } from '../../../test/support';
import { CardSvcRig } from './harness';

const rig = new CardSvcRig();

beforeAll(async () => {
  await rig.start();
  // The poller acts only when a test makes a card due; pages of 2 make reconciliation page.
  await rig.startService({ CARD_ISSUANCE_BACKOFF_START_MS: '600000', CARD_RECONCILE_PAGE_SIZE: '2' });
}, 180_000);

afterAll(async () => {
  await rig.stop();
}, 60_000);

async function applyVirtual(): Promise<{ cardUniqueNo: string; cardNo: string }> {
  const holder = await rig.approvedCardholder();
  const cardUniqueNo = `CARD_S_${randomUUID()}`;
  const id = await rig.send(COMMAND_TYPES.cardApply, {
    card_unique_no: cardUniqueNo,
    cardholder_no: holder,
    card_type: 'Virtual',
    package_no: 'PKG_VIRTUAL_001',
  });
  const applied = await rig.result(id);
  expect(applied.value.type).toBe(EVENT_TYPES.cardApplied);
  return { cardUniqueNo, cardNo: String(applied.value.data.card_no) };
}

const changesTo = (cardUniqueNo: string, after: string) =>
  rig.statusChanges(cardUniqueNo).filter((e) => e.value.data.after === after);

describe('one card.status_changed per real change, whatever the source', () => {
  it('Must show 3: Pending → Activated arriving by callback, by poll and by reconciliation at once gives one event', async () => {
    rig.callbacksFlowing = false; // hold the gateway's callbacks until all three sources are lined up
    const { cardUniqueNo, cardNo } = await applyVirtual();
    await waitFor(() => rig.sandbox.state.cards.get(cardNo)?.status === 'Activated', { timeoutMs: 10_000, description: 'issuance at the sandbox' });
    await waitFor(() => rig.heldCallbacks >= 1, { timeoutMs: 5_000, description: 'the Card_update callback reached the gateway stand-in' });
    const detailCalls = rig.sandbox.state.calls['card.detail'] ?? 0;
    const published = rig.publishedCallbacks;

    // The poll goes first but its card-detail answer is slowed down, so it is in flight while the
    // callback and the reconciliation arrive: three observers of one change, overlapping.
    rig.sandbox.addFault({ kind: 'latency', endpoint: 'card.detail', latencyMs: 1_000, count: 1 });
    await rig.query(`UPDATE "card".cards SET next_poll_at = now() WHERE card_unique_no = $1`, [cardUniqueNo]);
    await waitFor(async () => (rig.sandbox.state.calls['card.detail'] ?? 0) > detailCalls, { timeoutMs: 5_000, description: 'the poll to start' });
    const [released, reconciled] = await Promise.all([rig.releaseCallbacks(), rig.reconcile()]);
    await rig.waitStatus(cardUniqueNo, 'Activated');
    // all three sources really ran
    expect(released).toBeGreaterThanOrEqual(1);
    expect(rig.publishedCallbacks).toBeGreaterThan(published);
    expect(reconciled.outcome).toBe('completed');
    await waitFor(
      async () => {
        const [row] = await rig.query(`SELECT next_poll_at, poll_attempts FROM "card".cards WHERE card_unique_no = $1`, [cardUniqueNo]);
        return row!.next_poll_at === null && Number(row!.poll_attempts) >= 1;
      },
      { timeoutMs: 5_000, description: 'poll recorded' },
    );
    await new Promise((r) => setTimeout(r, 2_000)); // time for a late duplicate to show up
    expect(changesTo(cardUniqueNo, 'Activated')).toHaveLength(1);
    expect(rig.statusChanges(cardUniqueNo)).toHaveLength(2); // first seen (Pending) + Activated
    const [row] = await rig.query(`SELECT status FROM "card".cards WHERE card_unique_no = $1`, [cardUniqueNo]);
    expect(row!.status).toBe('Activated');
  });

  it('Must show 4: a change made behind our back (admin API, no callback) is found by reconciliation, once', async () => {
    const { cardUniqueNo, cardNo } = await applyVirtual();
    await rig.waitStatus(cardUniqueNo, 'Activated');
    const callbacksBefore = rig.publishedCallbacks;
    const response = await fetch(`${rig.sandbox.url}/__admin/cards/${cardNo}/status`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'Frozen', reason: 'risk review', callback: false }),
    });
    expect(response.status).toBe(200);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(changesTo(cardUniqueNo, 'Frozen')).toHaveLength(0); // nothing told us yet

    const first = await rig.reconcile();
    expect(first.outcome).toBe('completed');
    expect(first.pages).toBeGreaterThanOrEqual(2); // pages of 2 over ≥ 2 cards: paged until a short page
    const frozen = await rig.waitStatus(cardUniqueNo, 'Frozen');
    expect(frozen.value.data).toMatchObject({ before: 'Activated', after: 'Frozen', source: 'reconciliation', card_no: cardNo });

    const second = await rig.reconcile();
    expect(second.changed).toBe(0);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(changesTo(cardUniqueNo, 'Frozen')).toHaveLength(1);
    expect(rig.publishedCallbacks).toBe(callbacksBefore);
    const [row] = await rig.query(`SELECT status FROM "card".cards WHERE card_unique_no = $1`, [cardUniqueNo]);
    expect(row!.status).toBe('Frozen');
  });

  it('reconciliation resumes from the stored cursor', async () => {
    const windowStart = new Date(Date.now() - 3_600_000);
    await rig.query(
      `INSERT INTO "card".reconciliation_cursor (job, window_start, page, run_started_at) VALUES ('keysecure.card_list', $1, 1, now())
       ON CONFLICT (job) DO UPDATE SET window_start = $1, page = 1`,
      [windowStart],
    );
    const result = await rig.reconcile();
    expect(result.outcome).toBe('completed');
    expect(result.resumedFrom).toEqual({ windowStart: windowStart.toISOString(), page: 1 });
    expect(await rig.query(`SELECT * FROM "card".reconciliation_cursor`)).toHaveLength(0); // finished: cursor cleared
  });

  it('one instance at a time: a held advisory lock makes the run skip', async () => {
    const holder = new Client({ connectionString: rig.databaseUrl });
    await holder.connect();
    try {
      await holder.query(`SELECT pg_advisory_lock(hashtext('card-svc.reconciliation'))`);
      const pagesBefore = rig.sandbox.state.calls['card.list'] ?? 0;
      expect((await rig.reconcile()).outcome).toBe('skipped_locked');
      expect(rig.sandbox.state.calls['card.list'] ?? 0).toBe(pagesBefore);
    } finally {
      await holder.end();
    }
    expect((await rig.reconcile()).outcome).toBe('completed');
  });
});
