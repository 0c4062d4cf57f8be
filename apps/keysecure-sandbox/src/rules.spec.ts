import { recordHeaders, REDACTED_HEADER } from './state';
import { FaultInjector } from './faults';
import { isStrongPin } from './platform';
import { parseListWindow, parseTimezone } from './time-window';

describe('isStrongPin (4016 rule)', () => {
  it.each(['135790', '246802', '102938', '907856'])('accepts %s', (pin) =>
    expect(isStrongPin(pin)).toBe(true),
  );
  it.each(['123456', '654321', '111357', '135999', '13579', '1357901', '12a456', ''])(
    'refuses %s',
    (pin) => expect(isStrongPin(pin)).toBe(false),
  );
});

describe('Timezone header', () => {
  it.each([
    [undefined, 480],
    ['UTC+8', 480],
    ['UTC', 0],
    ['UTC-5', -300],
    ['UTC+05:30', 330],
    ['GMT+0930', 570],
  ])('%s → %i minutes', (header, minutes) => expect(parseTimezone(header)).toBe(minutes));
  it.each(['Asia/Shanghai', 'UTC+15', '+8'])('refuses %s naming Timezone', (header) =>
    expect(() => parseTimezone(header)).toThrow(/^Timezone /),
  );
});

describe('list time window', () => {
  it('covers whole local days for date-only bounds', () => {
    const w = parseListWindow('2026-02-15', '2026-02-15', 480);
    expect(w).toEqual({ from: Date.UTC(2026, 1, 14, 16), to: Date.UTC(2026, 1, 15, 16) });
  });
  it('allows 90 days and refuses 91', () => {
    expect(() => parseListWindow('2026-01-01', '2026-04-01', 0)).not.toThrow();
    expect(() => parseListWindow('2026-01-01', '2026-04-02', 0)).toThrow(/^end_time .*90 days/);
  });
});

describe('FaultInjector', () => {
  it('fires for the next N matching calls then disappears', () => {
    const f = new FaultInjector();
    f.add({ kind: 'error_code', code: 1001, count: 2, endpoint: 'card.apply' });
    expect(f.pick('token', '/open-api/v1/merchant/token')).toBeUndefined();
    expect(f.pick('card.apply', '/open-api/v1/card/apply')?.code).toBe(1001);
    expect(f.pick('card.apply', '/open-api/v1/card/apply')?.code).toBe(1001);
    expect(f.pick('card.apply', '/open-api/v1/card/apply')).toBeUndefined();
    expect(f.list()).toEqual([]);
  });
  it('matches a request path as endpoint filter', () => {
    const f = new FaultInjector();
    f.add({ kind: 'drop', endpoint: '/open-api/v1/card/apply' });
    expect(f.pick('card.apply', '/open-api/v1/card/apply')?.kind).toBe('drop');
  });
  it('refuses an unknown kind naming the field', () => {
    expect(() => new FaultInjector().add({ kind: 'explode' as never })).toThrow(/^kind /);
  });
});

describe('recordHeaders (admin state)', () => {
  it('masks Api-Key, Access-Token and Authorization and keeps the format flags', () => {
    const recorded = recordHeaders({
      'api-key': 'k-123',
      'access-token': 'Bearer tok-abc',
      authorization: 'Basic xyz',
      timestamp: '1700000000000',
      'x-multi': ['a', 'b'],
    });
    expect(recorded).toEqual({
      headers: {
        'api-key': REDACTED_HEADER,
        'access-token': REDACTED_HEADER,
        authorization: REDACTED_HEADER,
        timestamp: '1700000000000',
        'x-multi': 'a, b',
      },
      apiKeyPresent: true,
      accessTokenPresent: true,
      accessTokenHasBearerPrefix: true,
    });
    expect(JSON.stringify(recorded)).not.toMatch(/k-123|tok-abc|xyz/);
  });

  it('a raw token has no Bearer prefix; missing headers are not present', () => {
    expect(recordHeaders({ 'access-token': 'bearerless' })).toMatchObject({
      accessTokenPresent: true,
      accessTokenHasBearerPrefix: false,
      apiKeyPresent: false,
    });
    expect(recordHeaders({})).toMatchObject({ accessTokenPresent: false, accessTokenHasBearerPrefix: false });
  });
});
