// Unit tests of the bench's own arithmetic: percentiles, argument parsing, ratios and the chart.
import { renderChart } from './chart';
import { parseArgs, ratios, type ModeRun } from './run';
import { summarize } from './stats';

describe('summarize', () => {
  it('takes nearest-rank percentiles', () => {
    const s = summarize(Array.from({ length: 100 }, (_, i) => i + 1)); // 1..100
    expect(s).toMatchObject({ count: 100, p50: 50, p90: 90, p99: 99, max: 100, mean: 50.5 });
  });
  it('reports NaN, not zero, for an empty run', () => {
    expect(summarize([]).p99).toBeNaN();
  });
});

describe('parseArgs', () => {
  it('reads --quick, --soak in minutes or seconds and --n', () => {
    expect(parseArgs(['--quick'])).toMatchObject({ quick: true, n: 60, rates: [100] });
    expect(parseArgs(['--soak', '10m']).soakSeconds).toBe(600);
    expect(parseArgs(['--soak', '90s']).soakSeconds).toBe(90);
    expect(parseArgs(['--n', '500']).n).toBe(500);
  });
  it('names the option and the rule for a bad value', () => {
    expect(() => parseArgs(['--soak', 'ten'])).toThrow('--soak must be a duration');
    expect(() => parseArgs(['--n', '0'])).toThrow('--n must be a whole number ≥ 1');
  });
});

describe('ratios', () => {
  const run = (mode: ModeRun['mode'], workload: ModeRun['workload'], latency: number | null, throughput: number) =>
    ({ mode, workload, providerLatencyMs: latency, rate: 'max', throughput }) as ModeRun;
  it('divides product by baseline and by the Kafka ceiling per provider latency', () => {
    const r = ratios([run('ceiling', 'echo', null, 1000), run('baseline', 'kyc', 50, 10), run('product', 'kyc', 50, 250), run('product', 'mixed', 50, 500)]);
    expect(r).toEqual({ product_over_baseline_kyc_50ms: 25, product_kyc_over_ceiling_50ms: 0.25, product_mixed_over_ceiling_50ms: 0.5 });
  });
});

describe('renderChart', () => {
  it('draws one bar per percentile and per mode, with escaped labels', () => {
    const svg = renderChart('t<1>', [{ label: '0ms 100/s', p50: 5, p90: 10, p99: 20 }], [{ label: 'a&b', value: 7 }]);
    expect(svg.match(/<rect [^>]*fill="#(4e79a7|f28e2b|e15759)"><title>/g)).toHaveLength(3);
    expect(svg).toContain('a&amp;b');
    expect(svg).toContain('t&lt;1>');
  });
});
