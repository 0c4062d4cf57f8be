import { randomUUID } from 'node:crypto';
import { COMMAND_TYPES, EVENT_TYPES } from '@issuing-bridge/contracts';
import { waitFor } from '../../../test/support';
import { CardSvcRig, sealAll } from './harness';

// Known plaintexts: the leak scan at the end looks for them everywhere.
const CVV = '904';
const PIN = '270418';
const WEAK_PIN = '987654';
const rig = new CardSvcRig();
let sealed: Record<string, string>;

const physicalAddress = {
  first_name: 'Ada',
  last_name: 'Lovelace',
  phone_code: '44',
  phone: '2079460000',
  postal_code: 'NW1 6XE',
  country: 'GB',
  state: 'London',
  city: 'London',
  address_line1: '221B Baker Street',
};

beforeAll(async () => {
  sealed = sealAll([CVV, PIN, WEAK_PIN]);
  await rig.start();
  await rig.startService();
}, 180_000);

afterAll(async () => {
  await rig.stop();
}, 60_000);

async function applyVirtual(cardholderNo: string) {
  const cardUniqueNo = `CARD_V_${randomUUID()}`;
  const id = await rig.send(COMMAND_TYPES.cardApply, {
    card_unique_no: cardUniqueNo,
    cardholder_no: cardholderNo,
    card_type: 'Virtual',
    package_no: 'PKG_VIRTUAL_001',
  });
  return { id, cardUniqueNo };
}

async function applyPhysical(cardholderNo: string) {
  const cardUniqueNo = `CARD_P_${randomUUID()}`;
  const id = await rig.send(COMMAND_TYPES.cardApply, {
    card_unique_no: cardUniqueNo,
    cardholder_no: cardholderNo,
    card_type: 'Physical',
    package_no: 'PKG_PHYSICAL_001',
    address_info: physicalAddress,
  });
  return { id, cardUniqueNo };
}

async function cardRow(cardUniqueNo: string) {
  const rows = await rig.query(`SELECT * FROM "card".cards WHERE card_unique_no = $1`, [cardUniqueNo]);
  return rows[0] as Record<string, unknown> | undefined;
}

describe('card commands end to end (Must show 1)', () => {
  it('applies a virtual card: applied event, then Pending → Activated status events', async () => {
    const holder = await rig.approvedCardholder();
    const { id, cardUniqueNo } = await applyVirtual(holder);
    const applied = await rig.result(id);
    expect(applied.value.type).toBe(EVENT_TYPES.cardApplied);
    expect(applied.value.causationid).toBe(id);
    expect(applied.key).toBe(cardUniqueNo);
    const activated = await rig.waitStatus(cardUniqueNo, 'Activated');
    expect(activated.value.data.before).toBe('Pending');
    const row = await cardRow(cardUniqueNo);
    expect(row).toMatchObject({ status: 'Activated', card_type: 'Virtual', cardholder_no: holder, provider: 'keysecure' });
    expect(row!.card_last_no).toMatch(/^\d{4}$/);
    expect(row!.organization).toBeTruthy();
    expect(rig.statusChanges(cardUniqueNo).map((e) => [e.value.data.before, e.value.data.after])).toEqual([
      [null, 'Pending'],
      ['Pending', 'Activated'],
    ]);
  });

  it('/metrics shows keysecure_call_seconds by endpoint and code after a command', async () => {
    const holder = await rig.approvedCardholder();
    const { id } = await applyVirtual(holder);
    expect((await rig.result(id)).value.type).toBe(EVENT_TYPES.cardApplied);
    const res = await fetch(`${rig.service!.baseUrl}/metrics`);
    expect(res.status).toBe(200);
    const metrics = await res.text();
    expect(metrics).toContain('# TYPE keysecure_call_seconds histogram');
    // The command's own provider calls, labelled with the client's endpoint names and envelope code 0.
    expect(metrics).toMatch(/keysecure_call_seconds_count\{endpoint="card\.apply",code="0"\} [1-9]/);
    expect(metrics).toMatch(/keysecure_call_seconds_count\{endpoint="merchant\.token",code="0"\} [1-9]/);
    expect(metrics).toMatch(/keysecure_call_seconds_bucket\{le="10",endpoint="card\.apply",code="0"\} [1-9]/);
  });

  it('physical card: ToActivate, activate, freeze, unfreeze, PIN set, cancel — each a success event caused by its command', async () => {
    const holder = await rig.approvedCardholder();
    const { id, cardUniqueNo } = await applyPhysical(holder);
    expect((await rig.result(id)).value.type).toBe(EVENT_TYPES.cardApplied);
    await rig.waitStatus(cardUniqueNo, 'ToActivate');
    const lastNo = String((await cardRow(cardUniqueNo))!.card_last_no);

    const activate = await rig.send(COMMAND_TYPES.cardActivate, { card_unique_no: cardUniqueNo, card_last_no: lastNo, cvv_jwe: sealed[CVV] });
    expect((await rig.result(activate)).value.type).toBe(EVENT_TYPES.cardActivated);
    // The change is reported once: by the command, or by the sandbox's callback if that was recorded first.
    expect((await rig.waitStatus(cardUniqueNo, 'Activated')).value.data).toMatchObject({ before: 'ToActivate' });

    for (const [action, status, before] of [
      ['freeze', 'Frozen', 'Activated'],
      ['unfreeze', 'Activated', 'Frozen'],
    ] as const) {
      const cmd = await rig.send(COMMAND_TYPES.cardStatusUpdate, { card_unique_no: cardUniqueNo, action });
      const result = await rig.result(cmd);
      expect(result.value.type).toBe(EVENT_TYPES.cardStatusUpdated);
      expect(result.value.data).toMatchObject({ action, status });
      await waitFor(() => rig.statusChanges(cardUniqueNo).some((e) => e.value.data.before === before && e.value.data.after === status), {
        timeoutMs: 10_000,
        description: `status change ${before} → ${status}`,
      });
    }

    const pin = await rig.send(COMMAND_TYPES.cardPinSet, { card_unique_no: cardUniqueNo, pin_jwe: sealed[PIN] });
    expect((await rig.result(pin)).value.type).toBe(EVENT_TYPES.cardPinSetSucceeded);
    const atSandbox = rig.sandbox.state.cards.get(String((await cardRow(cardUniqueNo))!.card_no))!;
    expect(atSandbox.pin_set).toBe(true);

    const cancel = await rig.send(COMMAND_TYPES.cardStatusUpdate, { card_unique_no: cardUniqueNo, action: 'cancel' });
    expect((await rig.result(cancel)).value.data).toMatchObject({ action: 'cancel', status: 'Delete' });
    expect(atSandbox.status).toBe('Delete');
    expect((await cardRow(cardUniqueNo))!.status).toBe('Delete');

    // The sandbox's own Card_update callbacks for these changes must not add events: one per real change.
    await new Promise((r) => setTimeout(r, 1500));
    expect(rig.statusChanges(cardUniqueNo).map((e) => e.value.data.after)).toEqual([
      'Pending',
      'ToActivate',
      'Activated',
      'Frozen',
      'Activated',
      'Delete',
    ]);
  });
});

describe('refusals (Must show 2)', () => {
  let cardUniqueNo: string;
  let virtualUniqueNo: string;
  let lastNo: string;

  beforeAll(async () => {
    const holder = await rig.approvedCardholder();
    const physical = await applyPhysical(holder);
    const virtual = await applyVirtual(holder);
    cardUniqueNo = physical.cardUniqueNo;
    virtualUniqueNo = virtual.cardUniqueNo;
    await rig.waitStatus(cardUniqueNo, 'ToActivate');
    await rig.waitStatus(virtualUniqueNo, 'Activated');
    lastNo = String((await cardRow(cardUniqueNo))!.card_last_no);
  }, 60_000);

  it('wrong last four: the provider code, card still ToActivate', async () => {
    const wrong = lastNo === '0000' ? '1111' : '0000';
    const before = await cardRow(cardUniqueNo);
    const id = await rig.send(COMMAND_TYPES.cardActivate, { card_unique_no: cardUniqueNo, card_last_no: wrong, cvv_jwe: sealed[CVV] });
    const failed = await rig.result(id);
    expect(failed.value.type).toBe(EVENT_TYPES.cardActivateFailed);
    expect(failed.value.data.code).toBe(4006);
    expect(rig.eventsFor(id)).toHaveLength(1);
    expect(await cardRow(cardUniqueNo)).toEqual(before);
  });

  it('wrong cardholder: the provider code, no card stored', async () => {
    const { id, cardUniqueNo: unknownHolderCard } = await applyVirtual('U_NO_SUCH_CARDHOLDER');
    const failed = await rig.result(id);
    expect(failed.value.type).toBe(EVENT_TYPES.cardApplyFailed);
    expect(failed.value.data.code).toBe(2002);
    expect(await cardRow(unknownHolderCard)).toBeUndefined();
    expect(rig.statusChanges(unknownHolderCard)).toHaveLength(0);
  });

  it('card not ToActivate: refused locally with invalid_transition, provider not called', async () => {
    const calls = rig.sandbox.state.calls['card.active'] ?? 0;
    const before = await cardRow(virtualUniqueNo);
    const id = await rig.send(COMMAND_TYPES.cardActivate, { card_unique_no: virtualUniqueNo, card_last_no: '1234', cvv_jwe: sealed[CVV] });
    const failed = await rig.result(id);
    expect(failed.value.type).toBe(EVENT_TYPES.cardActivateFailed);
    expect(failed.value.data.code).toBe('invalid_transition');
    expect(rig.sandbox.state.calls['card.active'] ?? 0).toBe(calls);
    expect(await cardRow(virtualUniqueNo)).toEqual(before);
  });

  it('freeze of a ToActivate card: invalid_transition without calling the provider', async () => {
    const calls = rig.sandbox.state.calls['card.status.update'] ?? 0;
    const id = await rig.send(COMMAND_TYPES.cardStatusUpdate, { card_unique_no: cardUniqueNo, action: 'freeze' });
    const failed = await rig.result(id);
    expect(failed.value.type).toBe(EVENT_TYPES.cardStatusUpdateFailed);
    expect(failed.value.data).toMatchObject({ code: 'invalid_transition', action: 'freeze' });
    expect(rig.sandbox.state.calls['card.status.update'] ?? 0).toBe(calls);
    expect((await cardRow(cardUniqueNo))!.status).toBe('ToActivate');
  });

  it('weak PIN: refused with weak_pin before the provider is called', async () => {
    const activate = await rig.send(COMMAND_TYPES.cardActivate, { card_unique_no: cardUniqueNo, card_last_no: lastNo, cvv_jwe: sealed[CVV] });
    expect((await rig.result(activate)).value.type).toBe(EVENT_TYPES.cardActivated);
    const calls = rig.sandbox.state.calls['card.pin.set'] ?? 0;
    const id = await rig.send(COMMAND_TYPES.cardPinSet, { card_unique_no: cardUniqueNo, pin_jwe: sealed[WEAK_PIN] });
    const failed = await rig.result(id);
    expect(failed.value.type).toBe(EVENT_TYPES.cardPinSetFailed);
    expect(failed.value.data.code).toBe('weak_pin');
    expect(rig.sandbox.state.calls['card.pin.set'] ?? 0).toBe(calls);
    const atSandbox = rig.sandbox.state.cards.get(String((await cardRow(cardUniqueNo))!.card_no))!;
    expect(atSandbox.pin_set).toBe(false);
  });
});
