/**
 * Known-answer tests for UQPAY webhook signatures. Expected hex values were produced outside this code with:
 *   printf '%s' "$(cat kat-body.json)1764140400000" | openssl dgst -sha512 -hmac 'whsec_test_0123456789' -hex
 *   printf '%s' "$(cat kat-body.json)1764140400"    | openssl dgst -sha512 -hmac 'whsec_test_0123456789' -hex
 *   printf '%s' 'hello1711077773' | openssl dgst -sha512 -hmac 'key' -hex
 * where kat-body.json holds exactly KAT_BODY (no trailing newline).
 */
import { UqpayWebhookError } from './errors';
import {
  parseUqpayCardEvent,
  signUqpayWebhook,
  toBridgeCardStatus,
  verifyUqpayWebhook,
  type VerifiedUqpayWebhook,
} from './webhooks';

const SECRET = 'whsec_test_0123456789';
const KAT_BODY =
  '{"version":"V1.6.0","event_name":"ISSUING","event_type":"card.status.update.succeeded","event_id":"9d4a3c2e-1f0b-4a5e-8c7d-6b5a4f3e2d1c","source_id":"7c1e2d3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f","data":{"card_id":"5135e6cc-28b6-4889-81dc-3b86a09e1395","card_number":"409636******1234","card_status":"FROZEN","update_reason":"user request","update_time":"2026-11-26T07:00:00.000Z"}}';
const TS_MS = '1764140400000';
const SIG_MS =
  '355ef6495b2666c0655e82e046c7e205bb00ac9a06c83e8ddd107b55ef7671420da39f80ca67aa616518cc0f6ade50633bb91d435f51804155792ec7512540d6';
const TS_S = '1764140400';
const SIG_S =
  '73a70338332932bf10465ff4c672c591b2b008a3c0534558ea4c3c90db85e089bc67064d4c8f03beaaad0a016acf5b92991ee4d45df0d14fa9cb2f0847e23569';
const NOW = 1764140400000 + 10_000;

const headers = (ts: string, sig: string) => ({ 'x-wk-timestamp': ts, 'x-wk-signature': sig });
const verify = (body: string | Buffer, h: Record<string, string>, now = NOW) =>
  verifyUqpayWebhook(body, h, { secret: SECRET, now: () => now });

function expectRejected(fn: () => unknown, field: string): UqpayWebhookError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(UqpayWebhookError);
    expect((e as UqpayWebhookError).field).toBe(field);
    expect((e as Error).message).not.toContain(SECRET);
    return e as UqpayWebhookError;
  }
  throw new Error('expected a UqpayWebhookError');
}

describe('signUqpayWebhook (known answers from openssl)', () => {
  it('matches openssl for body + millisecond timestamp', () => {
    expect(signUqpayWebhook(KAT_BODY, TS_MS, SECRET)).toBe(SIG_MS);
  });
  it('matches openssl for body + second timestamp, and for a Buffer body', () => {
    expect(signUqpayWebhook(Buffer.from(KAT_BODY), TS_S, SECRET)).toBe(SIG_S);
  });
  it('matches openssl for a trivial input', () => {
    expect(signUqpayWebhook('hello', '1711077773', 'key')).toBe(
      '4c4c3ed2f73284800b32f41253f9c269a73b38046470e76eab4ed1f3f31f93f26c95912e40ec76f17b38c8b3e585e76dbba0270559d4213b0b02f4555ba4f608',
    );
  });
});

describe('verifyUqpayWebhook', () => {
  it('accepts the KAT with a millisecond timestamp and parses the envelope', () => {
    const v = verify(Buffer.from(KAT_BODY), headers(TS_MS, SIG_MS));
    expect(v.timestampMs).toBe(1764140400000);
    expect(v.envelope.event_type).toBe('card.status.update.succeeded');
    expect(v.envelope.event_name).toBe('ISSUING');
  });
  it('accepts seconds (docs) as well as milliseconds (Webhook Hub), and upper-case hex, any header case', () => {
    const v = verify(KAT_BODY, { 'X-WK-Timestamp': TS_S, 'X-WK-Signature': SIG_S.toUpperCase() });
    expect(v.timestampMs).toBe(1764140400000);
  });
  it('rejects a forged signature', () => {
    const forged = signUqpayWebhook(KAT_BODY, TS_MS, 'another-secret');
    expectRejected(() => verify(KAT_BODY, headers(TS_MS, forged)), 'x-wk-signature');
  });
  it('rejects an altered body (one character changed)', () => {
    const altered = KAT_BODY.replace('"FROZEN"', '"ACTIVE"');
    expectRejected(() => verify(altered, headers(TS_MS, SIG_MS)), 'x-wk-signature');
  });
  it('rejects a signature replayed with another timestamp (timestamp is signed)', () => {
    expectRejected(() => verify(KAT_BODY, headers('1764140400001', SIG_MS)), 'x-wk-signature');
  });
  it('rejects stale and future timestamps beyond 5 minutes, accepts just inside', () => {
    expectRejected(
      () => verify(KAT_BODY, headers(TS_MS, SIG_MS), 1764140400000 + 300_001),
      'x-wk-timestamp',
    );
    expectRejected(
      () => verify(KAT_BODY, headers(TS_MS, SIG_MS), 1764140400000 - 300_001),
      'x-wk-timestamp',
    );
    expect(() => verify(KAT_BODY, headers(TS_MS, SIG_MS), 1764140400000 + 300_000)).not.toThrow();
  });
  it('honours a custom toleranceMs', () => {
    expect(() =>
      verifyUqpayWebhook(KAT_BODY, headers(TS_MS, SIG_MS), {
        secret: SECRET,
        toleranceMs: 5_000,
        now: () => NOW,
      }),
    ).toThrow(UqpayWebhookError);
  });
  it('rejects missing headers, a truncated or non-hex signature, and a non-numeric timestamp', () => {
    expectRejected(() => verify(KAT_BODY, { 'x-wk-signature': SIG_MS }), 'x-wk-timestamp');
    expectRejected(() => verify(KAT_BODY, { 'x-wk-timestamp': TS_MS }), 'x-wk-signature');
    expectRejected(() => verify(KAT_BODY, headers(TS_MS, SIG_MS.slice(0, 64))), 'x-wk-signature');
    expectRejected(() => verify(KAT_BODY, headers(TS_MS, 'z'.repeat(128))), 'x-wk-signature');
    expectRejected(() => verify(KAT_BODY, headers('17641404e9', SIG_MS)), 'x-wk-timestamp');
  });
  it('requires a secret', () => {
    expect(() => verifyUqpayWebhook(KAT_BODY, headers(TS_MS, SIG_MS), { secret: '' })).toThrow(
      /secret/,
    );
  });
  it('rejects a correctly signed body that is not an envelope', () => {
    const body = '{"event_id":"x"}';
    expectRejected(
      () => verify(body, headers(TS_MS, signUqpayWebhook(body, TS_MS, SECRET))),
      'event_type',
    );
  });
});

function signed(envelope: object, ts = TS_MS): VerifiedUqpayWebhook {
  const body = JSON.stringify(envelope);
  return verify(body, headers(ts, signUqpayWebhook(body, ts, SECRET)));
}

describe('parseUqpayCardEvent', () => {
  it('parses card.status.update.succeeded with update_time', () => {
    const ev = parseUqpayCardEvent(verify(KAT_BODY, headers(TS_MS, SIG_MS)));
    expect(ev).toEqual({
      eventId: '9d4a3c2e-1f0b-4a5e-8c7d-6b5a4f3e2d1c',
      eventType: 'card.status.update.succeeded',
      cardId: '5135e6cc-28b6-4889-81dc-3b86a09e1395',
      status: 'FROZEN',
      time: Date.parse('2026-11-26T07:00:00.000Z'),
      succeeded: true,
      reason: 'user request',
    });
  });
  it('parses card.activation.status as ACTIVE at the webhook timestamp', () => {
    const ev = parseUqpayCardEvent(
      signed({
        version: 'V1.6.0',
        event_name: 'ISSUING',
        event_type: 'card.activation.status',
        event_id: 'e1',
        source_id: 'c1',
        data: { card_id: 'c1', card_number: '4096****', activation_status: 'Activated' },
      }),
    );
    expect(ev).toMatchObject({
      eventId: 'e1',
      cardId: 'c1',
      status: 'ACTIVE',
      time: 1764140400000,
      succeeded: true,
    });
  });
  it('understands the swapped legacy layout (event_type ISSUING, event_name specific)', () => {
    const ev = parseUqpayCardEvent(
      signed({
        event_type: 'ISSUING',
        event_name: 'card.status.update.failed',
        event_id: 'e2',
        data: { card_id: 'c2', card_status: 'active' },
      }),
    );
    expect(ev).toMatchObject({
      eventType: 'card.status.update.failed',
      status: 'ACTIVE',
      succeeded: false,
    });
  });
  it('returns null for other events and rejects card events without card_status', () => {
    expect(
      parseUqpayCardEvent(
        signed({
          event_type: 'card.recharge.succeeded',
          event_name: 'ISSUING',
          event_id: 'e3',
          data: {},
        }),
      ),
    ).toBeNull();
    expect(() =>
      parseUqpayCardEvent(
        signed({
          event_type: 'card.status.update.succeeded',
          event_name: 'ISSUING',
          event_id: 'e4',
          data: { card_id: 'c' },
        }),
      ),
    ).toThrow(/data\.card_status/);
  });
});

describe('toBridgeCardStatus', () => {
  it.each([
    ['PENDING', 'PHYSICAL', 'ToActivate'],
    ['PENDING', 'VIRTUAL', 'Pending'],
    ['PENDING', undefined, 'Pending'],
    ['ACTIVE', undefined, 'Activated'],
    ['FROZEN', undefined, 'Frozen'],
    ['BLOCKED', undefined, 'Frozen'],
    ['PRE_CANCEL', undefined, 'Delete'],
    ['CANCELLED', undefined, 'Delete'],
    ['LOST', undefined, 'Delete'],
    ['FAILED', undefined, 'Fail'],
    ['SOMETHING_NEW', undefined, undefined],
  ])('%s (%s) → %s', (status, form, expected) => {
    expect(toBridgeCardStatus(status, form)).toBe(expected);
  });
});
