import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { EVENT_TYPES } from '@issuing-bridge/contracts';
import { signUqpayWebhook } from '@issuing-bridge/uqpay';
import { startService, type ServiceProcess } from '../../../test/support';
import { call } from './support/http';
import { TopicTap, type TappedRecord } from './support/topic-tap';

// POST /callbacks/uqpay against real Kafka and Postgres: forged, stale, altered and replayed
// webhooks, counted on the (isolated) topic.
const run = randomUUID().slice(0, 8);
const topic = `it.gateway.${run}.uqpay-callbacks`;
const SECRET = 'uqpay_sandbox_webhook_secret';
const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const kafka = new Kafka({ clientId: `it-gateway-uqpay-${run}`, brokers, logLevel: logLevel.NOTHING });

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
  let gateway: ServiceProcess;
  const tap = new TopicTap();
  const post = (raw: string, headers: Record<string, string>) => call(gateway.baseUrl, 'POST', '/callbacks/uqpay', { rawBody: raw, headers });
  const withEvent = (id: string) => (r: TappedRecord) => r.topic === topic && (r.json.data as { event_id?: string } | undefined)?.event_id === id;
  const onTopic = (id: string) => tap.matching(withEvent(id)).length;

  /** A valid webhook for the same card, sent after the others: once it is on the topic, anything earlier would be too. */
  async function sentinel(cardId: string): Promise<void> {
    const body = activation(randomUUID(), cardId);
    const raw = JSON.stringify(body);
    expect((await post(raw, signed(raw))).status).toBe(200);
    await tap.waitForRecords(withEvent(body.event_id));
  }

  beforeAll(async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 1 }] });
    await admin.disconnect();
    await tap.start([topic]);
    gateway = await startService('gateway', {
      env: { GATEWAY_UQPAY_CALLBACKS_TOPIC: topic, GATEWAY_READ_MODEL_GROUP: `gateway-test-uqpay-${run}` },
    });
  }, 120_000);

  afterAll(async () => {
    await gateway?.stop('SIGKILL');
    await tap.stop();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  });

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
