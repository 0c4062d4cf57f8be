/**
 * The provider call metric, defined once for every service that talks to KeySecure. Kept out of
 * client.ts so the plain client does not depend on prom-client; services pass the recorder as `onCall`.
 */
import { Histogram, register as defaultRegistry, type Registry } from 'prom-client';
import type { KeySecureCallEvent } from './config';

export const KEYSECURE_CALL_METRIC = 'keysecure_call_seconds';

/** Seconds per HTTP attempt; 10 s is the default attempt timeout. */
const BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * `keysecure_call_seconds{endpoint,code}` in `registry` (default: prom-client's global one, which
 * the platform's /metrics serves). Returns the already registered histogram when there is one, so
 * Nest modules built several times in one process (tests) do not throw "already registered".
 */
export function keysecureCallMetrics(registry: Registry = defaultRegistry): Histogram<'endpoint' | 'code'> {
  const existing = registry.getSingleMetric(KEYSECURE_CALL_METRIC);
  if (existing) {
    if (!(existing instanceof Histogram)) {
      throw new Error(`${KEYSECURE_CALL_METRIC}: already registered as another metric type`);
    }
    return existing as Histogram<'endpoint' | 'code'>;
  }
  return new Histogram({
    name: KEYSECURE_CALL_METRIC,
    help: 'KeySecure HTTP attempts by endpoint and envelope/client code',
    labelNames: ['endpoint', 'code'],
    buckets: BUCKETS,
    registers: [registry],
  });
}

/**
 * An `onCall` hook for KeySecureConfig: one observation per HTTP attempt, labelled with the client's
 * endpoint name (`card.apply`) and the envelope code or client code (`0`, `1007`, `TIMEOUT`, `HTTP_503`).
 */
export function recordKeySecureCall(registry?: Registry): (event: KeySecureCallEvent) => void {
  const histogram = keysecureCallMetrics(registry);
  return (event) =>
    histogram.observe({ endpoint: event.endpoint, code: String(event.code) }, event.durationMs / 1000);
}
