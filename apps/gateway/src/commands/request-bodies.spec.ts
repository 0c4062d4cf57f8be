import { requestFingerprint } from './command-intake';
import {
  cardActivationBody,
  cardPinBody,
  validateBody,
  validateCardUniqueNo,
} from './request-bodies';

describe('request bodies', () => {
  it('names each field and rule and never echoes a CVV or PIN', () => {
    const result = validateBody(cardActivationBody, { cvv: '1234', card_last_no: '12a4', more: 1 });
    expect(result.ok).toBe(false);
    const violations = result.ok ? [] : result.violations;
    expect(violations.map((v) => [v.field, v.rule])).toEqual([
      ['cvv', 'three_digits'],
      ['card_last_no', 'four_digits'],
      ['more', 'unknown_field'],
    ]);
    expect(JSON.stringify(violations)).not.toContain('1234');
    const pin = validateBody(cardPinBody, { pin: 987654321 });
    expect(JSON.stringify(pin)).not.toContain('987654321');
  });

  it('refuses a body that is not an object', () => {
    expect(validateBody(cardPinBody, undefined)).toEqual({
      ok: false,
      violations: [expect.objectContaining({ field: '$', rule: 'type' })],
    });
    expect(validateBody(cardPinBody, ['x']).ok).toBe(false);
  });

  it('checks the card_unique_no path parameter with the command rule', () => {
    expect(validateCardUniqueNo('CARD_0001')).toEqual([]);
    expect(validateCardUniqueNo('x'.repeat(65))).toEqual([
      expect.objectContaining({ field: 'card_unique_no', rule: 'max_length' }),
    ]);
  });
});

describe('requestFingerprint', () => {
  it('is stable across key order, differs by body, route and API key', () => {
    const a = requestFingerprint('key-1', 'POST /v1/cards', { a: 1, b: { c: 2, d: 3 } });
    expect(requestFingerprint('key-1', 'POST /v1/cards', { b: { d: 3, c: 2 }, a: 1 })).toBe(a);
    expect(requestFingerprint('key-1', 'POST /v1/cards', { a: 2, b: { c: 2, d: 3 } })).not.toBe(a);
    expect(
      requestFingerprint('key-1', 'POST /v1/cardholders', { a: 1, b: { c: 2, d: 3 } }),
    ).not.toBe(a);
    expect(requestFingerprint('key-2', 'POST /v1/cards', { a: 1, b: { c: 2, d: 3 } })).not.toBe(a);
  });
});
