/** Unit tests of the pieces of the client that need no server: validation, error mapping, key derivation, redaction, config. */
import { resolveUqpayConfig } from './config';
import { isTokenRejection, mapUqpayError } from './error-mapping';
import {
  UqpayApiError,
  UqpayAuthError,
  UqpayCardError,
  UqpayConfigError,
  UqpayIdempotencyError,
  UqpayInvalidRequestError,
  UqpayRateLimitError,
  UqpayRequestProcessingError,
  UqpayServerError,
  UqpayValidationError,
} from './errors';
import { uqpayIdempotencyKey, UQPAY_IDEMPOTENCY_NAMESPACE } from './idempotency';
import { redactUqpay, scrubUqpaySecrets } from './redaction';
import { validateActivateCard, validateUpdateCardStatus } from './rules';
import { UqpayTokenManager } from './token-manager';

const CARD = '5135e6cc-28b6-4889-81dc-3b86a09e1395';
const valid = {
  card_id: CARD,
  activation_code: '12345678',
  pin: '123456',
  no_pin_payment_amount: 100,
};

function validationOf(fn: () => void): UqpayValidationError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(UqpayValidationError);
    return e as UqpayValidationError;
  }
  throw new Error('expected UqpayValidationError');
}

describe('validateActivateCard', () => {
  it('accepts a valid input, with and without no_pin_payment_amount (0 allowed)', () => {
    expect(() => validateActivateCard(valid, 'card.activate')).not.toThrow();
    expect(() =>
      validateActivateCard({ ...valid, no_pin_payment_amount: undefined }, 'x'),
    ).not.toThrow();
    expect(() => validateActivateCard({ ...valid, no_pin_payment_amount: 0 }, 'x')).not.toThrow();
  });
  it.each([
    [{ card_id: '' }, 'card_id', 'is required'],
    [{ card_id: 'not-a-uuid' }, 'card_id', 'must be a UUID'],
    [{ activation_code: '' }, 'activation_code', 'is required (non-empty string)'],
    [{ pin: '12345' }, 'pin', 'must be exactly 6 digits'],
    [{ pin: '1234567' }, 'pin', 'must be exactly 6 digits'],
    [{ pin: '12a456' }, 'pin', 'must be exactly 6 digits'],
    [{ pin: 123456 }, 'pin', 'must be exactly 6 digits'],
    [{ no_pin_payment_amount: -1 }, 'no_pin_payment_amount', 'must be ≥ 0'],
    [{ no_pin_payment_amount: Number.NaN }, 'no_pin_payment_amount', 'must be a finite number'],
    [{ no_pin_payment_amount: '5' }, 'no_pin_payment_amount', 'must be a finite number'],
  ])('%j → %s %s', (patch, field, rule) => {
    const err = validationOf(() =>
      validateActivateCard({ ...valid, ...patch } as never, 'card.activate'),
    );
    expect(err.field).toBe(field);
    expect(err.rule).toBe(rule);
    expect(err.retryable).toBe(false);
    expect(err.message).toContain(`${field}: ${rule}`);
  });
  it('never puts the PIN into the error', () => {
    const err = validationOf(() =>
      validateActivateCard({ ...valid, pin: '98765' }, 'card.activate'),
    );
    expect(err.message).not.toContain('98765');
  });
});

describe('validateUpdateCardStatus', () => {
  it('accepts the three settable statuses only', () => {
    for (const s of ['ACTIVE', 'FROZEN', 'CANCELLED'] as const) {
      expect(() => validateUpdateCardStatus({ card_id: CARD, card_status: s }, 'x')).not.toThrow();
    }
    expect(
      validationOf(() =>
        validateUpdateCardStatus({ card_id: CARD, card_status: 'BLOCKED' as never }, 'x'),
      ).field,
    ).toBe('card_status');
    expect(
      validationOf(() =>
        validateUpdateCardStatus(
          { card_id: CARD, card_status: 'FROZEN', update_reason: 'x'.repeat(256) },
          'x',
        ),
      ).field,
    ).toBe('update_reason');
  });
});

describe('uqpayIdempotencyKey', () => {
  const cmd = '6f1c0a52-3b7e-4d2a-9f10-8e5c4b3a2d1f';
  it('is UUIDv5 of "<kind>:<operationId>" in the bridge namespace (known answers from Python uuid.uuid5)', () => {
    expect(UQPAY_IDEMPOTENCY_NAMESPACE).toBe('0b6f3c1e-6a0d-4b8e-9d57-2c3f4e5a6b7c');
    expect(uqpayIdempotencyKey(cmd, 'card.activate')).toBe('ab05c70e-fb10-5326-8332-2f911e2a6202');
    expect(uqpayIdempotencyKey(cmd, 'card.status.update')).toBe(
      '363680e0-6788-50bc-938f-3315718de70a',
    );
  });
  it('is deterministic per operation and differs across operations and kinds', () => {
    expect(uqpayIdempotencyKey(cmd, 'card.activate')).toBe(
      uqpayIdempotencyKey(cmd, 'card.activate'),
    );
    expect(uqpayIdempotencyKey('other', 'card.activate')).not.toBe(
      uqpayIdempotencyKey(cmd, 'card.activate'),
    );
  });
  it('rejects an empty or oversized operation id', () => {
    expect(validationOf(() => uqpayIdempotencyKey('', 'card.activate')).field).toBe('operationId');
    expect(validationOf(() => uqpayIdempotencyKey('x'.repeat(201), 'card.activate')).field).toBe(
      'operationId',
    );
  });
});

describe('mapUqpayError', () => {
  const ctx = { endpoint: 'card.activate', idempotencyKey: 'k' };
  it.each([
    [400, { type: 'card_error', code: 'card_not_found', message: 'no' }, UqpayCardError, false],
    [
      400,
      { type: 'invalid_request_error', code: 'invalid_parameter', message: 'pin' },
      UqpayInvalidRequestError,
      false,
    ],
    [
      400,
      { type: 'idempotency_error', code: 'idempotency_key_mismatch', message: 'x' },
      UqpayIdempotencyError,
      false,
    ],
    [
      400,
      { type: 'account_error', code: 'sub_account_not_found', message: 'x' },
      UqpayApiError,
      false,
    ],
    [
      401,
      { type: 'unauthorized_error', code: 'unauthorized', message: 'x' },
      UqpayAuthError,
      false,
    ],
    [403, { type: 'unauthorized_error', code: 'forbidden', message: 'x' }, UqpayAuthError, false],
    [401, { error: 'ip not allowed' }, UqpayAuthError, false],
    [500, { type: 'api_error', code: 'internal_error', message: 'x' }, UqpayServerError, true],
    [503, 'not json', UqpayServerError, true],
    [429, { code: 'too_many_requests', message: 'slow down' }, UqpayRateLimitError, true],
    [400, { code: 200, message: 'request is processing' }, UqpayRequestProcessingError, true],
    [400, { code: 1001, message: 'legacy' }, UqpayApiError, false],
  ])('%i %j', (status, body, cls, retryable) => {
    const err = mapUqpayError(status, typeof body === 'string' ? body : JSON.stringify(body), ctx);
    expect(err).toBeInstanceOf(cls);
    expect(err.retryable).toBe(retryable);
    expect(err.httpStatus).toBe(status);
    expect(err.idempotencyKey).toBe('k');
    expect(err.endpoint).toBe('card.activate');
  });
  it('keeps type and code of envelope A', () => {
    const err = mapUqpayError(
      400,
      JSON.stringify({ type: 'card_error', code: 'invalid_activation_code', message: 'm' }),
    );
    expect([err.type, err.code]).toEqual(['card_error', 'invalid_activation_code']);
  });
  it('scrubs secrets out of provider messages', () => {
    const err = mapUqpayError(
      400,
      JSON.stringify({ type: 'card_error', code: 'c', message: 'key sk_live_abcdef leaked' }),
      {
        scrub: (t) => scrubUqpaySecrets(t, ['sk_live_abcdef']),
      },
    );
    expect(err.message).not.toContain('sk_live_abcdef');
  });
  it('recognises the 401 answers a fresh token fixes, and only those', () => {
    expect(isTokenRejection(401, JSON.stringify({ error: 'token expired' }))).toBe(true);
    expect(isTokenRejection(401, JSON.stringify({ error: 'invalid token' }))).toBe(true);
    expect(isTokenRejection(401, JSON.stringify({ error: 'ip not allowed' }))).toBe(false);
    expect(isTokenRejection(400, JSON.stringify({ error: 'token expired' }))).toBe(false);
  });
});

describe('redaction', () => {
  it('redacts pin, tokens, api key and activation code at any depth', () => {
    const out = redactUqpay({
      card_id: CARD,
      pin: '123456',
      activation_code: '12345678',
      nested: { 'x-auth-token': 'Bearer abc', 'x-api-key': 'k', auth_token: 't' },
    });
    expect(JSON.stringify(out)).not.toMatch(/123456|12345678|abc|"k"|"t"/);
    expect(out.card_id).toBe(CARD);
  });
});

describe('resolveUqpayConfig', () => {
  it('names the bad setting', () => {
    const base = { baseUrl: 'http://127.0.0.1:4020/api', clientId: 'c', apiKey: 'k' };
    expect(() => resolveUqpayConfig({ ...base, baseUrl: 'nope' })).toThrow(UqpayConfigError);
    expect(() => resolveUqpayConfig({ ...base, apiKey: '' })).toThrow(/apiKey: is required/);
    expect(() => resolveUqpayConfig({ ...base, maxAttempts: 1.5 })).toThrow(/maxAttempts/);
    expect(resolveUqpayConfig({ ...base, baseUrl: 'http://x/api/' }).baseUrl).toBe('http://x/api');
  });
});

describe('UqpayTokenManager', () => {
  it('caches until the refresh margin, is single-flight, and invalidates only the rejected token', async () => {
    let now = 0;
    const tm = new UqpayTokenManager({ now: () => now, refreshMarginMs: 1_000 });
    let fetches = 0;
    const fetch = async () => ({ token: `t${++fetches}`, expiresAt: now + 10_000 });
    const tokens = await Promise.all(Array.from({ length: 20 }, () => tm.getToken('c', fetch)));
    expect(new Set(tokens)).toEqual(new Set(['t1']));
    now = 8_999;
    expect(await tm.getToken('c', fetch)).toBe('t1');
    now = 9_000;
    expect(await tm.getToken('c', fetch)).toBe('t2');
    tm.invalidate('c', 't1'); // stale rejection: keeps t2
    expect(await tm.getToken('c', fetch)).toBe('t2');
    tm.invalidate('c', 't2');
    expect(await tm.getToken('c', fetch)).toBe('t3');
  });
});
