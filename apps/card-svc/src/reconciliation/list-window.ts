const DAY_MS = 86_400_000;

/** Minutes east of UTC for a `UTC+8` / `UTC-03:30` setting (the provider's Timezone header). */
export function timezoneOffsetMinutes(timezone: string): number {
  const m = /^UTC([+-])(\d{1,2})(?::(\d{2}))?$/.exec(timezone);
  if (!m) throw new Error(`timezone: must look like UTC+8 or UTC-03:30`);
  const minutes = Number(m[2]) * 60 + Number(m[3] ?? 0);
  return m[1] === '-' ? -minutes : minutes;
}

/** `yyyy-MM-dd HH:mm:ss` of `date` as a wall clock in `timezone`, the card list's time format. */
export function formatListTime(date: Date, timezone: string): string {
  const shifted = new Date(date.getTime() + timezoneOffsetMinutes(timezone) * 60_000);
  return shifted.toISOString().slice(0, 19).replace('T', ' ');
}

export interface ListWindow {
  from: Date;
  to: Date;
}

/** Splits [from, until) into consecutive windows of at most `days` days (the provider allows ≤ 90). */
export function listWindows(from: Date, until: Date, days: number): ListWindow[] {
  const out: ListWindow[] = [];
  for (let start = from.getTime(); start < until.getTime(); start += days * DAY_MS) {
    out.push({ from: new Date(start), to: new Date(Math.min(start + days * DAY_MS, until.getTime())) });
  }
  return out;
}

export const daysAgo = (now: Date, days: number) => new Date(now.getTime() - days * DAY_MS);
