import { Counter, Gauge, Histogram, register, type Metric } from 'prom-client';

// Several transports (tests, two topics) share the default registry: reuse a metric once registered.
function once<T extends Metric>(name: string, make: () => T): T {
  return (register.getSingleMetric(name) as T | undefined) ?? make();
}

export const messagingMetrics = {
  get handled(): Counter<'type' | 'outcome'> {
    return once('messaging_commands_handled_total', () =>
      new Counter({ name: 'messaging_commands_handled_total', help: 'Commands handled, by type and outcome', labelNames: ['type', 'outcome'] }),
    );
  },
  get latency(): Histogram<'type' | 'outcome'> {
    return once('messaging_command_handling_seconds', () =>
      new Histogram({
        name: 'messaging_command_handling_seconds',
        help: 'Time from taking a command to its outcome, retries included',
        labelNames: ['type', 'outcome'],
        buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      }),
    );
  },
  get inFlight(): Gauge<'topic'> {
    return once('messaging_commands_in_flight', () =>
      new Gauge({ name: 'messaging_commands_in_flight', help: 'Commands taken and not finished', labelNames: ['topic'] }),
    );
  },
  get lag(): Gauge<'topic' | 'partition'> {
    return once('messaging_consumer_lag', () =>
      new Gauge({ name: 'messaging_consumer_lag', help: 'High watermark minus committed offset', labelNames: ['topic', 'partition'] }),
    );
  },
  get outboxBacklog(): Gauge<'table'> {
    return once('messaging_outbox_backlog', () =>
      new Gauge({ name: 'messaging_outbox_backlog', help: 'Outbox rows not yet published', labelNames: ['table'] }),
    );
  },
};
