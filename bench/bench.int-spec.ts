// `npm run bench -- --quick` end to end on the real broker, Postgres and sandbox: it must finish,
// exit 0 and write a results JSON (and chart) whose every run completed its commands.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { z } from 'zod';

const run = promisify(execFile);
const repoRoot = path.resolve(__dirname, '..');

const latency = z.object({ count: z.number().int().positive(), p50: z.number(), p90: z.number(), p99: z.number(), max: z.number() });
const resultsSchema = z.object({
  date: z.iso.datetime(),
  options: z.object({ quick: z.literal(true) }),
  machine: z.object({ cpus: z.number().int().positive(), note: z.string() }),
  postgresCeiling: z.object({ commitsPerSecond: z.number().positive() }),
  runs: z.array(
    z.object({
      mode: z.enum(['ceiling', 'baseline', 'product']),
      workload: z.enum(['echo', 'kyc', 'mixed']),
      rate: z.union([z.number(), z.literal('max')]),
      sent: z.number().int().positive(),
      completed: z.number().int(),
      lost: z.number().int(),
      throughput: z.number().positive(),
      latencyMs: latency,
      processes: z.array(z.object({ name: z.string(), rssEndMb: z.number().positive(), cpuCores: z.number() })).min(1),
    }),
  ),
  ratios: z.record(z.string(), z.number().positive()),
});

describe('npm run bench -- --quick', () => {
  const out = mkdtempSync(path.join(os.tmpdir(), 'bench-quick-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('runs ceiling, baseline and product end to end and writes valid results and a chart', async () => {
    const { stdout } = await run(process.execPath, ['-r', '@swc-node/register', 'bench/run.ts', '--quick', '--out', out], {
      cwd: repoRoot,
      timeout: 110_000,
      maxBuffer: 10 * 2 ** 20,
    });
    const files = readdirSync(out);
    const json = files.find((f) => f.endsWith('.json'));
    expect(json).toBeDefined();
    expect(files).toContain(json!.replace(/\.json$/, '.svg'));
    const results = resultsSchema.parse(JSON.parse(readFileSync(path.join(out, json!), 'utf8')));
    // Every mode ran, every command reached its terminal event, and the table was printed.
    expect(new Set(results.runs.map((r) => r.mode))).toEqual(new Set(['ceiling', 'baseline', 'product']));
    for (const r of results.runs) expect({ label: `${r.mode} ${r.workload} ${r.rate}`, completed: r.completed, lost: r.lost }).toEqual({ label: `${r.mode} ${r.workload} ${r.rate}`, completed: r.sent, lost: 0 });
    expect(Object.keys(results.ratios)).toEqual(expect.arrayContaining(['product_over_baseline_kyc_0ms', 'product_over_baseline_kyc_50ms']));
    expect(readFileSync(path.join(out, json!.replace(/\.json$/, '.svg')), 'utf8')).toMatch(/^<svg[^>]*>[\s\S]*<\/svg>\n$/);
    expect(stdout).toContain('| mode | workload |');
  });
});
