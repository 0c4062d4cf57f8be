import { keySecureSigningText, signKeySecureCallback, verifyKeySecureCallback } from './signature';

/*
 * Known answer produced once with OpenSSL 3:
 *   printf 'amount=100.50&appId=test-api-key&card_no=C202605220001&fee_detail=[{"fee_type":"Consume_fee","amount":1.20}]&remark=&timestamp=1716307200000' \
 *     | openssl dgst -sha256 -hmac '0123456789abcdef'
 *   # 8ae554e2a0a14bf03fbb83686a0debc822175bc461231780f79df79faaff2144
 */
const SECRET = '0123456789abcdef';
const APP_ID = 'test-api-key';
const TIMESTAMP = '1716307200000';
const RAW_BODY =
  '{"id":"push-1","action":"Consumption","data":{"card_no":"C202605220001","amount":100.50,' +
  '"remark":"","detail":null,"fee_detail":[{"fee_type":"Consume_fee","amount":1.20}]}}';
const EXPECTED_TEXT =
  'amount=100.50&appId=test-api-key&card_no=C202605220001&fee_detail=[{"fee_type":"Consume_fee","amount":1.20}]' +
  '&remark=&timestamp=1716307200000';
const EXPECTED_SIGNATURE = '8ae554e2a0a14bf03fbb83686a0debc822175bc461231780f79df79faaff2144';

const headers = (signature: string, timestamp = TIMESTAMP) => ({
  Timestamp: timestamp,
  Signature: signature,
  'Sign-Version': 'V1',
  Timezone: 'UTC+8',
});
const options = {
  apiSecret: SECRET,
  appId: APP_ID,
  toleranceMs: 60_000,
  now: () => Number(TIMESTAMP) + 5_000,
};

describe('KeySecure callback signature (SignUtils V1)', () => {
  it('accepts the openssl known answer, verifying from the raw body (100.50 and 1.20 kept)', () => {
    const result = verifyKeySecureCallback(RAW_BODY, headers(EXPECTED_SIGNATURE), options);
    expect(result).toMatchObject({ valid: true, timestamp: Number(TIMESTAMP) });
    if (result.valid) expect(result.body.action).toBe('Consumption');
  });

  it('builds the documented signing text: sorted, nulls skipped, empty strings kept', () => {
    const { parse } = jest.requireActual<typeof import('lossless-json')>('lossless-json');
    const data = (parse(RAW_BODY) as { data: Record<string, unknown> }).data;
    expect(keySecureSigningText({ data, timestamp: TIMESTAMP, appId: APP_ID })).toBe(EXPECTED_TEXT);
    expect(
      signKeySecureCallback({ data, timestamp: TIMESTAMP, appId: APP_ID, apiSecret: SECRET }),
    ).toBe(EXPECTED_SIGNATURE);
  });

  it('a JSON.parse round trip would lose 100.50: the lossless path is what makes it match', () => {
    const lossy = JSON.parse(RAW_BODY).data;
    expect(
      signKeySecureCallback({
        data: lossy,
        timestamp: TIMESTAMP,
        appId: APP_ID,
        apiSecret: SECRET,
      }),
    ).not.toBe(EXPECTED_SIGNATURE);
  });

  it('signs what it verifies (sandbox use)', () => {
    const data = {
      card_no: 'C1',
      before_status: 'ToActivate',
      after_status: 'Activated',
      reason: '',
      time: 1716307200123,
    };
    const signature = signKeySecureCallback({
      data,
      timestamp: TIMESTAMP,
      appId: APP_ID,
      apiSecret: SECRET,
    });
    expect(signature).toMatch(/^[0-9a-f]{64}$/);
    const raw = JSON.stringify({ id: 'p2', action: 'Card_update', data });
    expect(verifyKeySecureCallback(raw, headers(signature), options).valid).toBe(true);
    expect(
      verifyKeySecureCallback(Buffer.from(raw), headers(signature.toUpperCase()), options).valid,
    ).toBe(true);
  });

  it.each([
    [
      'tampered body',
      RAW_BODY.replace('100.50', '100.51'),
      headers(EXPECTED_SIGNATURE),
      'Signature: does not match',
    ],
    ['wrong signature', RAW_BODY, headers('0'.repeat(64)), 'Signature: does not match'],
    ['short signature', RAW_BODY, headers('abc'), 'Signature: does not match'],
    ['missing signature', RAW_BODY, { Timestamp: TIMESTAMP }, 'Signature: header is required'],
    [
      'bad version',
      RAW_BODY,
      { ...headers(EXPECTED_SIGNATURE), 'Sign-Version': 'V2' },
      'Sign-Version: unsupported (only V1)',
    ],
    ['not JSON', '{oops', headers(EXPECTED_SIGNATURE), 'body: must be JSON'],
    [
      'no data',
      '{"id":"x","action":"Auth"}',
      headers(EXPECTED_SIGNATURE),
      'data: must be an object',
    ],
  ])('rejects %s', (_name, body, hdrs, reason) => {
    expect(verifyKeySecureCallback(body, hdrs, options)).toEqual({ valid: false, reason });
  });

  it('rejects a timestamp outside the window, either side', () => {
    const late = { ...options, now: () => Number(TIMESTAMP) + 60_001 };
    const early = { ...options, now: () => Number(TIMESTAMP) - 60_001 };
    expect(verifyKeySecureCallback(RAW_BODY, headers(EXPECTED_SIGNATURE), late)).toMatchObject({
      valid: false,
    });
    expect(verifyKeySecureCallback(RAW_BODY, headers(EXPECTED_SIGNATURE), early)).toMatchObject({
      valid: false,
    });
  });

  it('rejects another secret or another appId', () => {
    expect(
      verifyKeySecureCallback(RAW_BODY, headers(EXPECTED_SIGNATURE), { ...options, apiSecret: 'x' })
        .valid,
    ).toBe(false);
    expect(
      verifyKeySecureCallback(RAW_BODY, headers(EXPECTED_SIGNATURE), { ...options, appId: 'other' })
        .valid,
    ).toBe(false);
  });

  it('header names are case-insensitive', () => {
    const lower = { timestamp: TIMESTAMP, signature: EXPECTED_SIGNATURE, 'sign-version': 'V1' };
    expect(verifyKeySecureCallback(RAW_BODY, lower, options).valid).toBe(true);
  });
});
