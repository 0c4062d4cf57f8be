import { randomUUID } from 'node:crypto';
import { COMMAND_TYPES, EVENT_TYPES } from '@issuing-bridge/contracts';
import { startService, type ServiceProcess } from '../../../test/support';
import { CardSvcRig } from './harness';

// Two instances on one database and one consumer group; callbacks held, so issuance is learnt by polling only.
const rig = new CardSvcRig();
let second: ServiceProcess | undefined;

beforeAll(async () => {
  // The test expects each card Pending when card-svc reads it back after apply; on a loaded 2-core
  // machine that read-back can take longer than 400 ms, so issuance is held for 3 s here.
  await rig.start({ cardIssueDelayMs: 3_000 });
  rig.callbacksFlowing = false;
  await rig.startService({ CARD_ISSUANCE_POLL_INTERVAL_MS: '50', CARD_ISSUANCE_BACKOFF_START_MS: '100' });
  second = await startService('card-svc', {
    env: rig.serviceEnv({ CARD_ISSUANCE_POLL_INTERVAL_MS: '50', CARD_ISSUANCE_BACKOFF_START_MS: '100' }),
    readyTimeoutMs: 90_000,
  });
}, 180_000);

afterAll(async () => {
  await second?.stop('SIGKILL');
  await rig.stop();
}, 60_000);

it('two instances: every command handled once, every card polled to Activated with exactly one event each', async () => {
  const holder = await rig.approvedCardholder();
  const cards = Array.from({ length: 12 }, () => `CARD_N_${randomUUID()}`);
  const ids = await Promise.all(
    cards.map((cardUniqueNo) =>
      rig.send(COMMAND_TYPES.cardApply, { card_unique_no: cardUniqueNo, cardholder_no: holder, card_type: 'Virtual', package_no: 'PKG_VIRTUAL_001' }),
    ),
  );
  for (const id of ids) expect((await rig.result(id)).value.type).toBe(EVENT_TYPES.cardApplied);
  for (const c of cards) await rig.waitStatus(c, 'Activated');
  await new Promise((r) => setTimeout(r, 1_500));

  for (const id of ids) expect(rig.eventsFor(id).filter((e) => e.value.type === EVENT_TYPES.cardApplied)).toHaveLength(1);
  for (const c of cards) {
    expect(rig.statusChanges(c).map((e) => [e.value.data.after, e.value.data.source])).toEqual([
      ['Pending', 'command'],
      ['Activated', 'poll'],
    ]);
  }
  expect(rig.publishedCallbacks).toBe(0);
  const rows = await rig.query(`SELECT count(*)::int AS n FROM "card".cards WHERE card_unique_no = ANY($1) AND status = 'Activated' AND next_poll_at IS NULL`, [cards]);
  expect(rows[0]!.n).toBe(cards.length);
  // both instances were members of the command consumer group while this ran
  const admin = rig.kafka.admin();
  await admin.connect();
  const { groups } = await admin.describeGroups([`it-card-svc-${rig.suffix}`]);
  await admin.disconnect();
  expect(groups[0]!.members).toHaveLength(2);
});
