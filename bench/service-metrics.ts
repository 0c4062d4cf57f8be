import type { ChildService } from './environment';

/** Sums and counts of the services' histograms, to split end-to-end latency into where it goes. */
const HISTOGRAMS = ['messaging_command_handling_seconds', 'keysecure_call_seconds'] as const;
type Totals = Record<string, { sum: number; count: number }>;

export async function scrape(service: ChildService): Promise<Totals> {
  const totals: Totals = {};
  const res = await fetch(`${service.baseUrl}/metrics`).catch(() => undefined);
  if (!res?.ok) return totals;
  for (const line of (await res.text()).split('\n')) {
    for (const name of HISTOGRAMS) {
      const m = new RegExp(`^${name}_(sum|count)(?:\\{[^}]*\\})? ([0-9.eE+-]+)$`).exec(line);
      if (!m) continue;
      const t = (totals[name] ??= { sum: 0, count: 0 });
      t[m[1] as 'sum' | 'count'] += Number(m[2]);
    }
  }
  return totals;
}

export interface TimingBreakdown {
  service: string;
  commandsHandled: number;
  /** Mean time from the engine taking a command to its transaction done (ms). */
  meanHandlingMs: number | null;
  providerCalls: number;
  meanProviderCallMs: number | null;
}

/** Difference of two scrapes: what happened during one run. */
export function breakdown(service: string, before: Totals, after: Totals): TimingBreakdown {
  const d = (name: string) => {
    const a = after[name] ?? { sum: 0, count: 0 };
    const b = before[name] ?? { sum: 0, count: 0 };
    return { sum: a.sum - b.sum, count: a.count - b.count };
  };
  const h = d('messaging_command_handling_seconds');
  const k = d('keysecure_call_seconds');
  const ms = (x: { sum: number; count: number }) => (x.count > 0 ? Math.round((x.sum / x.count) * 10000) / 10 : null);
  return { service, commandsHandled: h.count, meanHandlingMs: ms(h), providerCalls: k.count, meanProviderCallMs: ms(k) };
}
