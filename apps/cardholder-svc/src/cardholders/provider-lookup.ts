import type { CardholderRow, KeySecureCallOptions, KeySecureClient } from '@issuing-bridge/keysecure';

const DAY_MS = 24 * 60 * 60 * 1000;
/** The list endpoint accepts windows of at most 90 days; look back this many windows (about two years). */
const WINDOWS = 8;

const ymd = (t: number) => new Date(t).toISOString().slice(0, 10);

/**
 * Finds a cardholder by its merchant-side unique number through the cardholder list (the only lookup
 * KeySecure offers by that number), newest window first. The window ends a day after today so a
 * Timezone ahead of UTC does not hide today's records.
 */
export async function findCardholderByUniqueNo(
  client: KeySecureClient,
  uniqueNo: string,
  options: KeySecureCallOptions = {},
  now: number = Date.now(),
): Promise<CardholderRow | undefined> {
  let end = now + DAY_MS;
  for (let i = 0; i < WINDOWS; i++) {
    const start = end - 89 * DAY_MS;
    const rows = await client.listCardholders(
      { start_time: ymd(start), end_time: ymd(end), cardholder_unique_no: uniqueNo, page: 0, size: 10 },
      options,
    );
    const hit = rows.find((r) => r.cardholder_unique_no === uniqueNo);
    if (hit) return hit;
    end = start - DAY_MS;
  }
  return undefined;
}
