import { Counter, Gauge, Histogram, register, type Metric } from 'prom-client';

// Tests may build the module more than once in one process: reuse a metric already registered.
function once<T extends Metric>(name: string, make: () => T): T {
  return (register.getSingleMetric(name) as T | undefined) ?? make();
}

export const kycMetrics = {
  get polls(): Counter<'outcome'> {
    return once('cardholder_kyc_polls_total', () =>
      new Counter({
        name: 'cardholder_kyc_polls_total',
        help: 'KYC status polls, by outcome (changed, unchanged, stale, error)',
        labelNames: ['outcome'],
      }),
    );
  },
  get pollSeconds(): Histogram<'outcome'> {
    return once('cardholder_kyc_poll_seconds', () =>
      new Histogram({
        name: 'cardholder_kyc_poll_seconds',
        help: 'Time of one KYC poll (provider call and write)',
        labelNames: ['outcome'],
        buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      }),
    );
  },
  get statusChanges(): Counter<'after' | 'source'> {
    return once('cardholder_kyc_status_changes_total', () =>
      new Counter({
        name: 'cardholder_kyc_status_changes_total',
        help: 'Real KYC status changes recorded, by new status and source',
        labelNames: ['after', 'source'],
      }),
    );
  },
  get followed(): Gauge {
    return once('cardholder_kyc_followed', () =>
      new Gauge({ name: 'cardholder_kyc_followed', help: 'Cardholders whose KYC is not final yet (polled)' }),
    );
  },
  get due(): Gauge {
    return once('cardholder_kyc_poll_due', () =>
      new Gauge({ name: 'cardholder_kyc_poll_due', help: 'Cardholders due for a poll and not leased' }),
    );
  },
};
