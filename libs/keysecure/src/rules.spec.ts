import { KeySecureValidationError } from './errors';
import {
  isValidCardLastNo,
  isValidCvv,
  isValidPhoneCode,
  isValidPin,
  isWeakPin,
  listWindowDays,
  parseListTime,
  validateActivateCard,
  validateApplyCard,
  validateApplyCardholder,
  validateListCardBins,
  validateListCardPackages,
  validateListWindow,
  validateSetCardPin,
  validateUpdateCardStatus,
} from './rules';
import { ApplyCardRequest } from './types';

function violation(fn: () => void): { field: string; rule: string } {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(KeySecureValidationError);
    const e = error as KeySecureValidationError;
    expect(e.message).toContain(e.field);
    expect(e.code).toBe('VALIDATION');
    expect(e.retryable).toBe(false);
    return { field: e.field, rule: e.rule };
  }
  throw new Error('expected a KeySecureValidationError');
}

const fullAddress = {
  first_name: 'Ada',
  last_name: 'Lovelace',
  phone_code: '86',
  phone: '13800000000',
  postal_code: '518000',
  country: 'CN',
  state: 'Guangdong',
  city: 'Shenzhen',
  address_line1: '1 Example Road',
};
const virtualCard: ApplyCardRequest = {
  cardholder_no: 'U1',
  card_unique_no: 'card-1',
  card_type: 'Virtual',
  package_no: 'P1',
};

describe('PIN rules', () => {
  it.each(['111234', '901112', '123905', '905432', '098765', '000000', '012946'])(
    '%s is weak',
    (pin) => {
      expect(isWeakPin(pin)).toBe(true);
      expect(isValidPin(pin)).toBe(false);
    },
  );
  it.each(['135790', '246802', '112233', '130579', '907856'])('%s is acceptable', (pin) => {
    expect(isWeakPin(pin)).toBe(false);
    expect(isValidPin(pin)).toBe(true);
  });
  it('requires exactly 6 digits', () => {
    expect(isValidPin('13579')).toBe(false);
    expect(isValidPin('1357902')).toBe(false);
    expect(isValidPin('13579a')).toBe(false);
  });
  it('setCardPin names pin and the rule without echoing the value', () => {
    const weak = violation(() =>
      validateSetCardPin({ card_no: 'C1', cardholder_no: 'U1', pin: '123580' }),
    );
    expect(weak).toEqual({
      field: 'pin',
      rule: 'must not contain a run of 3 identical or sequential digits',
    });
    const short = violation(() =>
      validateSetCardPin({ card_no: 'C1', cardholder_no: 'U1', pin: '97531' }),
    );
    expect(short.field).toBe('pin');
    expect(short.rule).not.toContain('97531');
    expect(() =>
      validateSetCardPin({ card_no: 'C1', cardholder_no: 'U1', pin: '135790' }),
    ).not.toThrow();
  });
});

describe('card activation rules', () => {
  it('checks CVV and last-4 digits', () => {
    expect(isValidCvv('123')).toBe(true);
    expect(isValidCvv('1234')).toBe(false);
    expect(isValidCvv('12a')).toBe(false);
    expect(isValidCardLastNo('1234')).toBe(true);
    expect(isValidCardLastNo('123')).toBe(false);
    const base = { cardholder_no: 'U1', card_no: 'C1', cvv: '123', card_last_no: '1234' };
    expect(() => validateActivateCard(base)).not.toThrow();
    expect(violation(() => validateActivateCard({ ...base, cvv: '9876' })).field).toBe('cvv');
    expect(violation(() => validateActivateCard({ ...base, card_last_no: '12345' })).field).toBe(
      'card_last_no',
    );
    expect(violation(() => validateActivateCard({ ...base, card_no: '' })).field).toBe('card_no');
  });
});

describe('card apply rules', () => {
  it('accepts a virtual card without address', () => {
    expect(() => validateApplyCard(virtualCard)).not.toThrow();
  });
  it('needs exactly one of package_no / card_bin_no', () => {
    expect(violation(() => validateApplyCard({ ...virtualCard, package_no: '' })).rule).toBe(
      'one of package_no or card_bin_no is required',
    );
    expect(
      violation(() => validateApplyCard({ ...virtualCard, card_bin_no: 'B1' })).rule,
    ).toContain('only one');
    expect(() =>
      validateApplyCard({ ...virtualCard, package_no: undefined, card_bin_no: 'B1' }),
    ).not.toThrow();
  });
  it('limits card_unique_no to 64 characters', () => {
    expect(() =>
      validateApplyCard({ ...virtualCard, card_unique_no: 'x'.repeat(64) }),
    ).not.toThrow();
    expect(
      violation(() => validateApplyCard({ ...virtualCard, card_unique_no: 'x'.repeat(65) })),
    ).toEqual({
      field: 'card_unique_no',
      rule: 'must be at most 64 characters',
    });
  });
  it('rejects unknown card types', () => {
    expect(
      violation(() => validateApplyCard({ ...virtualCard, card_type: 'Plastic' as never })).field,
    ).toBe('card_type');
  });
  it('physical cards need the whole address', () => {
    const physical: ApplyCardRequest = { ...virtualCard, card_type: 'Physical' };
    expect(violation(() => validateApplyCard(physical)).field).toBe('address_info');
    expect(() => validateApplyCard({ ...physical, address_info: fullAddress })).not.toThrow();
    for (const key of Object.keys(fullAddress)) {
      const address = { ...fullAddress, [key]: '' };
      expect(violation(() => validateApplyCard({ ...physical, address_info: address })).field).toBe(
        `address_info.${key}`,
      );
    }
  });
  it('virtual cards that send an address need postal code, country, state, city, line 1', () => {
    const minimal = {
      postal_code: '1',
      country: 'US',
      state: 'CA',
      city: 'LA',
      address_line1: '1 Main St',
    };
    expect(() => validateApplyCard({ ...virtualCard, address_info: minimal })).not.toThrow();
    for (const key of Object.keys(minimal)) {
      const { [key as keyof typeof minimal]: _omit, ...rest } = minimal;
      const v = violation(() => validateApplyCard({ ...virtualCard, address_info: rest }));
      expect(v.field).toBe(`address_info.${key}`);
    }
  });
  it('phone_code is digits only', () => {
    expect(isValidPhoneCode('86')).toBe(true);
    expect(isValidPhoneCode('+86')).toBe(false);
    const v = violation(() =>
      validateApplyCard({
        ...virtualCard,
        card_type: 'Physical',
        address_info: { ...fullAddress, phone_code: '+86' },
      }),
    );
    expect(v).toEqual({
      field: 'address_info.phone_code',
      rule: "must contain digits only (no '+')",
    });
  });
});

describe('cardholder apply rules', () => {
  it('requires cardholder_unique_no and sumsub_share_token', () => {
    expect(() =>
      validateApplyCardholder({ cardholder_unique_no: 'M1', sumsub_share_token: 't' }),
    ).not.toThrow();
    expect(
      violation(() =>
        validateApplyCardholder({ cardholder_unique_no: '', sumsub_share_token: 't' }),
      ).field,
    ).toBe('cardholder_unique_no');
    expect(
      violation(() =>
        validateApplyCardholder({ cardholder_unique_no: 'M1', sumsub_share_token: ' ' }),
      ).field,
    ).toBe('sumsub_share_token');
  });
});

describe('status update rules', () => {
  it('allows only Activated, Frozen, Delete', () => {
    for (const status of ['Activated', 'Frozen', 'Delete'] as const) {
      expect(() => validateUpdateCardStatus({ card_no: 'C1', status })).not.toThrow();
    }
    expect(
      violation(() => validateUpdateCardStatus({ card_no: 'C1', status: 'Pending' as never }))
        .field,
    ).toBe('status');
  });
});

describe('list rules', () => {
  const window = { start_time: '2026-01-01', end_time: '2026-03-31' };
  it('parses both documented formats and rejects impossible dates', () => {
    expect(parseListTime('2026-01-01')).toBe(Date.UTC(2026, 0, 1));
    expect(parseListTime('2026-01-01 12:30:05')).toBe(Date.UTC(2026, 0, 1, 12, 30, 5));
    expect(parseListTime('2026-02-30')).toBeUndefined();
    expect(parseListTime('2026-01-01 24:00:00')).toBeUndefined();
    expect(parseListTime('2026/01/01')).toBeUndefined();
    expect(parseListTime('2026-01-01T00:00:00')).toBeUndefined();
  });
  it('accepts the documented example window and exactly 90 days', () => {
    expect(listWindowDays('2026-01-01', '2026-03-31')).toBe(89);
    expect(() => validateListWindow(window)).not.toThrow();
    expect(() =>
      validateListWindow({ start_time: '2026-01-01', end_time: '2026-04-01' }),
    ).not.toThrow();
  });
  it('rejects windows over 90 days or reversed', () => {
    expect(
      violation(() => validateListWindow({ start_time: '2026-01-01', end_time: '2026-04-02' }))
        .field,
    ).toBe('end_time');
    expect(
      violation(() =>
        validateListWindow({ start_time: '2026-01-01 00:00:00', end_time: '2026-04-01 00:00:01' }),
      ).rule,
    ).toContain('90 days');
    expect(
      violation(() => validateListWindow({ start_time: '2026-02-01', end_time: '2026-01-01' }))
        .rule,
    ).toBe('must not be before start_time');
    expect(
      violation(() => validateListWindow({ start_time: '', end_time: '2026-01-01' })).field,
    ).toBe('start_time');
    expect(
      violation(() => validateListWindow({ start_time: '2026-1-1', end_time: '2026-01-02' })).field,
    ).toBe('start_time');
  });
  it('page from 0, size 1..100', () => {
    expect(() => validateListWindow({ ...window, page: 0, size: 100 })).not.toThrow();
    expect(violation(() => validateListWindow({ ...window, page: -1 })).field).toBe('page');
    expect(violation(() => validateListWindow({ ...window, page: 1.5 })).field).toBe('page');
    expect(violation(() => validateListWindow({ ...window, size: 101 })).field).toBe('size');
    expect(violation(() => validateListWindow({ ...window, size: 0 })).field).toBe('size');
    expect(violation(() => validateListCardPackages({ size: 500 })).field).toBe('size');
    expect(violation(() => validateListCardBins({ page: -2 })).field).toBe('page');
    expect(violation(() => validateListCardPackages({ type: 'Metal' as never })).field).toBe(
      'type',
    );
    expect(() => validateListCardBins({})).not.toThrow();
  });
});
