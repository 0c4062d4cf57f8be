import { z } from 'zod';
import { cardholderSettingsShape } from './cardholder.settings';
import { nextPollDelayMs, toKycStatus } from './kyc-state';

describe('nextPollDelayMs', () => {
  const schedule = { initialMs: 1_000, maxMs: 60_000 };

  it('doubles from the initial delay per unchanged poll and stops at the cap', () => {
    const middle = () => 0.5; // jitter factor 1.0
    expect([0, 1, 2, 3, 6, 7, 50].map((a) => nextPollDelayMs(a, schedule, middle))).toEqual([
      1_000, 2_000, 4_000, 8_000, 60_000, 60_000, 60_000,
    ]);
  });

  it('spreads polls by ±20 % jitter', () => {
    expect(nextPollDelayMs(0, schedule, () => 0)).toBe(800);
    expect(nextPollDelayMs(0, schedule, () => 0.999999)).toBe(1_200);
  });
});

describe('toKycStatus', () => {
  it('accepts the documented statuses and refuses anything else, naming the field', () => {
    expect(toKycStatus('In_progress')).toBe('In_progress');
    expect(() => toKycStatus('Approved ')).toThrow(/^status: /);
    expect(() => toKycStatus(undefined)).toThrow(/^status: /);
  });
});

describe('cardholder settings', () => {
  const schema = z.object(cardholderSettingsShape);

  it('has working defaults (contract topics, 2001 as "already exists")', () => {
    const s = schema.parse({});
    expect(s).toMatchObject({
      CARDHOLDER_COMMANDS_TOPIC: 'cardholder.commands.v1',
      CARDHOLDER_EVENTS_TOPIC: 'cardholder.events.v1',
      CARDHOLDER_COMMANDS_DLQ_TOPIC: 'cardholder.commands.v1.dlq',
      KEYSECURE_CARDHOLDER_EXISTS_CODES: [2001],
      KYC_POLL_INITIAL_MS: 5_000,
    });
    expect(s.CARDHOLDER_TEST_CRASH_AFTER_PROVIDER_CALL).toBeUndefined();
  });

  it('names the variable and the rule of a bad setting', () => {
    const r = schema.safeParse({ KYC_POLL_MAX_MS: '0', KEYSECURE_CARDHOLDER_EXISTS_CODES: '2001;2002' });
    expect(r.success).toBe(false);
    const problems = r.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(problems).toEqual(
      expect.arrayContaining([
        'KYC_POLL_MAX_MS: must be greater than 0',
        'KEYSECURE_CARDHOLDER_EXISTS_CODES: must be comma-separated integers, e.g. 2001',
      ]),
    );
  });
});
