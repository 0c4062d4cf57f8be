import { randomUUID } from 'node:crypto';
import { EVENT_TYPES, TOPICS } from '@issuing-bridge/contracts';
import { signUqpayWebhook } from '@issuing-bridge/uqpay';
import { StackRig } from './stack-rig';
import { call } from './support/http';
import type { TappedRecord } from './support/topic-tap';

// POST /callbacks/uqpay against real Kafka and Postgres: forged, stale, altered and replayed
// webhooks, counted on the (isolated) topic.
const stack = new StackRig('uqpay_webhooks', { isolate: ['gateway'] });
const { tap } = stack;
const SECRET = 'uqpay_sandbox_webhook_secret';

function activation(eventId: string = randomUUID(), cardId: string = randomUUID()) {
  return {
    version: 'V1.6.0',
    event_name: 'ISSUING',
    event_type: 'card.activation.status',
    event_id: eventId,
    source_id: cardId,
    data: { card_id: cardId, activation_status: 'Activated' },
  };
}

function signed(raw: string, timestamp = Date.now(), secret = SECRET): Record<string, string> {
  const ts = String(timestamp);
  return { 'x-wk-timestamp': ts, 'x-wk-signature': signUqpayWebhook(raw, ts, secret) };
}

describe('gateway POST /callbacks/uqpay (Must show 3)', () => {
  const post = (raw: string, headers: Record<string, string>) => call(stack.gateway.baseUrl, 'POST', '/callbacks/uqpay', { rawBody: raw, headers });
  const withEvent = (id: string) => (r: TappedRecord) => r.topic === stack.topic(TOPICS.uqpayCallbacks) && (r.json.data as { event_id?: string } | undefined)?.event_id === id;
  const onTopic = (id: string) => tap.matching(withEvent(id)).length;

  /** A valid webhook for the same card, sent after the others: once it is on the topic, anything earlier would be too. */
  async function sentinel(cardId: string): Promise<void> {
    const body = activation(randomUUID(), cardId);
    const raw = JSON.stringify(body);
    expect((await post(raw, signed(raw))).status).toBe(200);
    await tap.waitForRecords(withEvent(body.event_id));
  }

  beforeAll(async () => {
    await stack.setUp([TOPICS.uqpayCallbacks]);
    await stack.start('gateway');
  }, 120_000);

  afterAll(() => stack.tearDown('SIGKILL'));

  it('publishes a verified webhook once, keyed by card_id, after the broker acknowledged', async () => {
    const body = activation();
    const raw = JSON.stringify(body);
    const response = await post(raw, signed(raw));
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ received: true });
    const [record] = await tap.waitForRecords(withEvent(body.event_id));
    expect(record!.key).toBe(body.data.card_id);
    expect(record!.json).toMatchObject({
      type: EVENT_TYPES.uqpayWebhookReceived,
      subject: body.data.card_id,
      data: { ...body, timestamp_ms: expect.any(Number) },
    });
  });

  it('a replayed webhook (same event_id, fresh signature) is answered 200 and not published again', async () => {
    const body = activation();
    const raw = JSON.stringify(body);
    expect((await post(raw, signed(raw))).status).toBe(200);
    expect((await post(raw, signed(raw, Date.now() + 1))).status).toBe(200);
    expect((await post(raw, signed(raw))).status).toBe(200);
    await sentinel(body.data.card_id);
    expect(onTopic(body.event_id)).toBe(1);
  });

  it('forged, altered, stale and unsigned webhooks are refused and nothing is published', async () => {
    const body = activation();
    const raw = JSON.stringify(body);
    const forged = await post(raw, signed(raw, Date.now(), 'not-the-secret'));
    expect(forged.status).toBe(401);
    expect(forged.body).toMatchObject({ message: 'x-wk-signature: does not match HMAC-SHA512 of body and timestamp' });
    // Signed, then one byte of the body changed in transit.
    const altered = await post(raw.replace('Activated', 'Activatex'), signed(raw));
    expect(altered.status).toBe(401);
    // A captured delivery replayed 6 minutes later (outside the 5-minute window), correctly signed.
    const stale = await post(raw, signed(raw, Date.now() - 6 * 60_000));
    expect(stale.status).toBe(401);
    expect(stale.body).toMatchObject({ message: expect.stringContaining('x-wk-timestamp') });
    const unsigned = await post(raw, { 'x-wk-timestamp': String(Date.now()) });
    expect(unsigned.status).toBe(401);
    const notJson = await post('{"event_id":', signed('{"event_id":'));
    expect(notJson.status).toBe(400);
    await sentinel(body.data.card_id);
    expect(onTopic(body.event_id)).toBe(0);
    // The refusals left no dedup row: the genuine delivery still goes through once.
    expect((await post(raw, signed(raw))).status).toBe(200);
    await tap.waitForRecords(withEvent(body.event_id));
    expect(onTopic(body.event_id)).toBe(1);
  });
});
