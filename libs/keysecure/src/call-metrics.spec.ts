import { Counter, Histogram, Registry } from 'prom-client';
import { KEYSECURE_CALL_METRIC, keysecureCallMetrics, recordKeySecureCall } from './call-metrics';

describe('keysecure_call_seconds recorder', () => {
  it('observes one attempt per event with endpoint and code labels, in seconds', async () => {
    const registry = new Registry();
    const onCall = recordKeySecureCall(registry);
    onCall({ endpoint: 'card.apply', method: 'POST', attempt: 1, durationMs: 30, code: 0, httpStatus: 200 });
    onCall({ endpoint: 'card.apply', method: 'POST', attempt: 2, durationMs: 700, code: 'HTTP_503', httpStatus: 503 });
    onCall({ endpoint: 'card.list', method: 'POST', attempt: 1, durationMs: 3000, code: 1007 });

    const text = await registry.metrics();
    expect(text).toContain('# TYPE keysecure_call_seconds histogram');
    expect(text).toContain('keysecure_call_seconds_count{endpoint="card.apply",code="0"} 1');
    expect(text).toContain('keysecure_call_seconds_count{endpoint="card.apply",code="HTTP_503"} 1');
    expect(text).toContain('keysecure_call_seconds_count{endpoint="card.list",code="1007"} 1');
    expect(text).toContain('keysecure_call_seconds_sum{endpoint="card.list",code="1007"} 3');
    // 30 ms falls in the 0.05 s bucket, not in 0.01 s.
    expect(text).toContain('keysecure_call_seconds_bucket{le="0.01",endpoint="card.apply",code="0"} 0');
    expect(text).toContain('keysecure_call_seconds_bucket{le="0.05",endpoint="card.apply",code="0"} 1');
  });

  it('is defined once per registry: a second recorder reuses the histogram', async () => {
    const registry = new Registry();
    const first = keysecureCallMetrics(registry);
    expect(keysecureCallMetrics(registry)).toBe(first);
    recordKeySecureCall(registry)({ endpoint: 'card.detail', method: 'GET', attempt: 1, durationMs: 1, code: 0 });
    recordKeySecureCall(registry)({ endpoint: 'card.detail', method: 'GET', attempt: 1, durationMs: 1, code: 0 });
    expect(await registry.getSingleMetricAsString(KEYSECURE_CALL_METRIC)).toContain(
      'keysecure_call_seconds_count{endpoint="card.detail",code="0"} 2',
    );
    expect(first).toBeInstanceOf(Histogram);
  });

  it('refuses a same-named metric of another type instead of silently dropping observations', () => {
    const registry = new Registry();
    new Counter({ name: KEYSECURE_CALL_METRIC, help: 'x', registers: [registry] });
    expect(() => keysecureCallMetrics(registry)).toThrow(/already registered as another metric type/);
  });
});
