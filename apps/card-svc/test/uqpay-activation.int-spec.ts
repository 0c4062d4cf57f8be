import { randomUUID } from 'node:crypto';
import { COMMAND_TYPES, EVENT_TYPES, createCommand } from '@issuing-bridge/contracts';
import { uqpayIdempotencyKey } from '@issuing-bridge/uqpay';
import { startUqpaySandbox, type RunningUqpaySandbox } from '../../uqpay-sandbox/src/sandbox';
import { waitFor } from '../../../test/support';
import { CardSvcRig, sealAll } from './harness';

// UQPAY physical cards activated over Kafka: command → card.activated + card.status_changed, and a
// redelivered command activates once (same idempotency key). Real broker, Postgres, UQPAY sandbox.
const PIN = '382916';
const rig = new CardSvcRig();
const uqpayTopic = `it.card-svc.${rig.suffix}.uqpay-callbacks`;
let uqpay: RunningUqpaySandbox;
let sealedPin: string;

beforeAll(async () => {
  sealedPin = sealAll([PIN])[PIN]!;
  uqpay = await startUqpaySandbox({ port: 0, webhookUrl: '' });
  await rig.start();
  const admin = rig.kafka.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic: uqpayTopic, numPartitions: 1 }] });
  await admin.disconnect();
  await rig.startService({ UQPAY_BASE_URL: uqpay.apiBaseUrl, UQPAY_CALLBACKS_TOPIC: uqpayTopic });
}, 180_000);

afterAll(async () => {
  await rig.stop();
  await uqpay?.close();
  const admin = rig.kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [uqpayTopic] }).catch(() => undefined);
  await admin.disconnect();
}, 60_000);

function activateData(card: { card_id: string; activation_code: string }) {
  return {
    provider: 'uqpay',
    card_unique_no: `CARD_UQ_${randomUUID()}`,
    card_id: card.card_id,
    activation_code: card.activation_code,
    pin_jwe: sealedPin,
    no_pin_payment_amount: 0,
  };
}

const activateRequests = (cardKey: string) =>
  uqpay.snapshot().requests.filter((r) => r.endpoint === 'card.activate' && r.idempotencyKey === cardKey);

describe('UQPAY activation over Kafka (Must show 1, 2)', () => {
  it('activates a UQPAY physical card never seen before: stored as uqpay, card.activated, ToActivate → Activated', async () => {
    const card = uqpay.createCard();
    const data = activateData(card);
    const id = await rig.send(COMMAND_TYPES.cardActivate, data);
    const result = await rig.result(id);
    expect(result.value.type).toBe(EVENT_TYPES.cardActivated);
    expect(result.value.data).toEqual({ card_unique_no: data.card_unique_no, card_no: card.card_id });
    await rig.waitStatus(data.card_unique_no, 'Activated');
    expect(rig.statusChanges(data.card_unique_no).map((e) => [e.value.data.before, e.value.data.after, e.value.data.source])).toEqual([
      [null, 'ToActivate', 'command'],
      ['ToActivate', 'Activated', 'command'],
    ]);
    const [row] = await rig.query(`SELECT provider, card_no, card_type, status FROM "card".cards WHERE card_unique_no = $1`, [data.card_unique_no]);
    expect(row).toEqual({ provider: 'uqpay', card_no: card.card_id, card_type: 'Physical', status: 'Activated' });
    const snapshot = uqpay.snapshot();
    expect(snapshot.activations[card.card_id]).toBe(1);
    expect(snapshot.cards.find((c) => c.card_id === card.card_id)?.card_status).toBe('ACTIVE');
    // The key is derived from the command id, nothing else.
    expect(activateRequests(uqpayIdempotencyKey(id, 'card.activate'))).toHaveLength(1);
  });

  it('a wrong activation code gives card.activate_failed with the provider code, and the card stays unactivated', async () => {
    const card = uqpay.createCard();
    const data = { ...activateData(card), activation_code: '00000000' };
    const id = await rig.send(COMMAND_TYPES.cardActivate, data);
    const result = await rig.result(id);
    expect(result.value.type).toBe(EVENT_TYPES.cardActivateFailed);
    expect(result.value.data).toMatchObject({ code: 'invalid_activation_code' });
    expect(uqpay.snapshot().activations[card.card_id]).toBeUndefined();
  });

  it('the same command published twice activates once and yields one card.activated', async () => {
    const card = uqpay.createCard();
    const data = activateData(card);
    const before = uqpay.snapshot().calls['card.activate'] ?? 0;
    const command = createCommand({ type: COMMAND_TYPES.cardActivate, source: 'urn:issuing-bridge:it', data: data as never });
    const producer = rig.kafka.producer();
    await producer.connect();
    const record = { key: data.card_unique_no, value: JSON.stringify(command) };
    await producer.send({ topic: rig.topics.commands, messages: [record] });
    await producer.send({ topic: rig.topics.commands, messages: [record] });
    await producer.disconnect();
    await rig.result(command.id);
    await rig.waitStatus(data.card_unique_no, 'Activated');
    await new Promise((r) => setTimeout(r, 3_000)); // room for a second (wrong) activation or event
    expect(rig.eventsFor(command.id).filter((e) => e.value.type === EVENT_TYPES.cardActivated)).toHaveLength(1);
    expect(uqpay.snapshot().activations[card.card_id]).toBe(1);
    const key = uqpayIdempotencyKey(command.id, 'card.activate');
    // Every activate request this command caused carried the one key derived from its id.
    const sent = (uqpay.snapshot().calls['card.activate'] ?? 0) - before;
    expect(sent).toBeGreaterThanOrEqual(1);
    expect(activateRequests(key)).toHaveLength(sent);
  });

  it('a redelivery after UQPAY acted but the answer was lost sends the same key and activates once', async () => {
    const card = uqpay.createCard();
    const data = activateData(card);
    // The client's 5 attempts: 4 answered 503 before UQPAY acts, the 5th processed (activated) but
    // its answer lost (503). The client gives up, the engine redelivers the command (no crash), and
    // the 6th call with the same key is answered by replay.
    uqpay.addFault({ kind: 'http_error', status: 503, endpoint: 'card.activate', phase: 'before', count: 4 });
    uqpay.addFault({ kind: 'http_error', status: 503, endpoint: 'card.activate', phase: 'after', count: 1 });
    const id = await rig.send(COMMAND_TYPES.cardActivate, data);
    const result = await rig.result(id, 60_000);
    expect(result.value.type).toBe(EVENT_TYPES.cardActivated);
    const key = uqpayIdempotencyKey(id, 'card.activate');
    const requests = await waitFor(() => (activateRequests(key).some((r) => r.replay && r.status === 200) ? activateRequests(key) : undefined), {
      timeoutMs: 10_000,
      description: 'a replayed 200 answer',
    });
    expect(requests.length).toBeGreaterThanOrEqual(6); // 5 client attempts, then the redelivered command's replay
    expect(uqpay.snapshot().activations[card.card_id]).toBe(1);
    expect(rig.statusChanges(data.card_unique_no).filter((e) => e.value.data.after === 'Activated')).toHaveLength(1);
  }, 90_000);
});
