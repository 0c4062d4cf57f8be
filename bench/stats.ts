/** Latency percentiles (ms) of a finished run. */
export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export function summarize(latenciesMs: number[]): LatencySummary {
  if (latenciesMs.length === 0) return { count: 0, p50: NaN, p90: NaN, p99: NaN, max: NaN, mean: NaN };
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  // Nearest-rank percentile: the value below which at least p% of the samples lie.
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
  const r = (n: number) => Math.round(n * 10) / 10;
  return {
    count: sorted.length,
    p50: r(at(50)),
    p90: r(at(90)),
    p99: r(at(99)),
    max: r(sorted[sorted.length - 1]!),
    mean: r(sorted.reduce((a, b) => a + b, 0) / sorted.length),
  };
}
