import { invalidParameter } from './errors';

const DAY_MS = 24 * 60 * 60 * 1000;
export const MAX_WINDOW_DAYS = 90;

/** `Timezone` header → offset in minutes. Accepts `UTC`, `UTC+8`, `UTC-5`, `UTC+05:30`, `UTC+0530` (GMT too). */
export function parseTimezone(header: string | undefined): number {
  if (header === undefined || header.trim() === '') return 8 * 60; // documented default UTC+8
  const m = /^(?:UTC|GMT)(?:([+-])(\d{1,2})(?::?(\d{2}))?)?$/i.exec(header.trim());
  if (!m) throw invalidParameter('Timezone', 'must look like UTC+8 or UTC-05:00');
  if (!m[1]) return 0;
  const hours = Number(m[2]);
  const minutes = m[3] ? Number(m[3]) : 0;
  if (hours > 14 || minutes > 59)
    throw invalidParameter('Timezone', 'offset must be within ±14:00');
  return (m[1] === '-' ? -1 : 1) * (hours * 60 + minutes);
}

interface LocalTime {
  instant: number;
  dateOnly: boolean;
}

/** `yyyy-MM-dd` or `yyyy-MM-dd HH:mm:ss` read as local time at the given offset → Unix ms. */
function parseLocal(field: string, value: unknown, offsetMinutes: number): LocalTime {
  if (typeof value !== 'string' || value === '') throw invalidParameter(field, 'is required');
  const m = /^(\d{4})-(\d{2})-(\d{2})(?: (\d{2}):(\d{2}):(\d{2}))?$/.exec(value);
  if (!m) throw invalidParameter(field, 'must be yyyy-MM-dd or yyyy-MM-dd HH:mm:ss');
  const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4] ?? '0', m[5] ?? '0', m[6] ?? '0'].map(
    Number,
  );
  const utc = Date.UTC(y, mo - 1, d, h, mi, s);
  const check = new Date(utc);
  if (
    check.getUTCFullYear() !== y ||
    check.getUTCMonth() !== mo - 1 ||
    check.getUTCDate() !== d ||
    h > 23 ||
    mi > 59 ||
    s > 59
  ) {
    throw invalidParameter(field, 'is not a valid calendar date/time');
  }
  return { instant: utc - offsetMinutes * 60_000, dateOnly: m[4] === undefined };
}

export interface TimeWindow {
  /** inclusive */
  from: number;
  /** exclusive */
  to: number;
}

/**
 * Required start_time/end_time with day boundaries at the Timezone offset. A date-only end_time covers that
 * whole day; the interval from start_time to end_time (as written) may be at most 90 days.
 */
export function parseListWindow(
  startRaw: unknown,
  endRaw: unknown,
  offsetMinutes: number,
): TimeWindow {
  const start = parseLocal('start_time', startRaw, offsetMinutes);
  const end = parseLocal('end_time', endRaw, offsetMinutes);
  if (end.instant < start.instant)
    throw invalidParameter('end_time', 'must not be before start_time');
  if (end.instant - start.instant > MAX_WINDOW_DAYS * DAY_MS) {
    throw invalidParameter('end_time', `must be within ${MAX_WINDOW_DAYS} days of start_time`);
  }
  return { from: start.instant, to: end.dateOnly ? end.instant + DAY_MS : end.instant + 1000 };
}

export interface Page {
  page: number;
  size: number;
}

export function parsePage(body: Record<string, unknown>): Page {
  const page = body.page ?? 0;
  const size = body.size ?? 10;
  if (typeof page !== 'number' || !Number.isInteger(page) || page < 0) {
    throw invalidParameter('page', 'must be an integer ≥ 0 (pages are 0-based)');
  }
  if (typeof size !== 'number' || !Number.isInteger(size) || size < 1 || size > 100) {
    throw invalidParameter('size', 'must be an integer from 1 to 100');
  }
  return { page, size };
}

export function paginate<T>(rows: T[], { page, size }: Page): T[] {
  return rows.slice(page * size, page * size + size);
}
