import { formatListTime, listWindows, timezoneOffsetMinutes } from './list-window';

describe('card list windows', () => {
  it('formats times as the wall clock of the Timezone header', () => {
    const t = new Date('2026-01-31T20:15:09Z');
    expect(formatListTime(t, 'UTC+8')).toBe('2026-02-01 04:15:09');
    expect(formatListTime(t, 'UTC-03:30')).toBe('2026-01-31 16:45:09');
    expect(formatListTime(t, 'UTC+0')).toBe('2026-01-31 20:15:09');
  });

  it('refuses a timezone it cannot read, naming the setting', () => {
    expect(() => timezoneOffsetMinutes('CET')).toThrow(/timezone: must look like UTC\+8/);
  });

  it('splits a long range into windows of at most 90 days that cover it without gaps', () => {
    const from = new Date('2025-01-01T00:00:00Z');
    const until = new Date('2025-12-31T00:00:00Z');
    const windows = listWindows(from, until, 90);
    expect(windows).toHaveLength(5);
    expect(windows[0]!.from).toEqual(from);
    expect(windows.at(-1)!.to).toEqual(until);
    for (let i = 0; i < windows.length; i++) {
      expect(windows[i]!.to.getTime() - windows[i]!.from.getTime()).toBeLessThanOrEqual(90 * 86_400_000);
      if (i > 0) expect(windows[i]!.from).toEqual(windows[i - 1]!.to);
    }
  });
});
