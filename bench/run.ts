/*
 * `npm run bench` — ceiling, baseline and product throughput/latency on the real broker, Postgres and
 * KeySecure sandbox. Options: --quick (small N, smoke), --soak <10m|600s> (RSS over time only),
 * --n <commands per max-rate run>, --out <results dir>. See docs/benchmark.md.
 */
import type { Producer } from 'kafkajs';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureInfrastructure } from '../scripts/infra';
import { runningBrokerPid } from '../scripts/infra/kafka-broker';
import { kafkaCeiling, postgresCeiling, rateSeconds } from './ceiling';
import { renderChart } from './chart';
import { type ChildService, setProviderLatency, startSandbox } from './environment';
import { summarizeProfile } from './profile-summary';
import { ProcSampler, type ProcessUsage } from './proc-stats';
import { TOPICS, TOPIC_PARTITIONS } from '@issuing-bridge/contracts';
import { SequentialGate } from './sequential-gate';
import { breakdown, scrape, type TimingBreakdown } from './service-metrics';
import { startStack, type ServiceStack } from './stack';
import {
  EventCollector,
  connectProducer,
  kycCommands,
  mixedCommands,
  newRunId,
  prepareCardPool,
  runLoad,
  type RunResult,
} from './workload';

export interface BenchOptions {
  quick: boolean;
  soakSeconds?: number;
  n: number;
  rates: number[];
  latencies: number[];
  outDir: string;
  /** Start the product's services with `node --cpu-prof` and summarise where their CPU time went. */
  cpuProf: boolean;
}

export function parseArgs(argv: string[]): BenchOptions {
  const get = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const quick = argv.includes('--quick');
  const soak = get('--soak');
  let soakSeconds: number | undefined;
  if (soak !== undefined) {
    const m = /^(\d+)(s|m)?$/.exec(soak);
    if (!m) throw new Error(`--soak must be a duration like 10m or 90s, got "${soak}"`);
    soakSeconds = Number(m[1]) * (m[2] === 'm' ? 60 : 1);
  }
  const n = Number(get('--n') ?? (quick ? 60 : 3000));
  if (!Number.isInteger(n) || n < 1) throw new Error(`--n must be a whole number ≥ 1, got "${get('--n')}"`);
  return {
    quick,
    soakSeconds,
    n,
    rates: quick ? [100] : [100, 500, 1000],
    latencies: [0, 50],
    outDir: get('--out') ?? path.join(__dirname, 'results'),
    cpuProf: argv.includes('--cpu-prof'),
  };
}

export interface ModeRun extends RunResult {
  mode: 'ceiling' | 'baseline' | 'product';
  workload: 'echo' | 'kyc' | 'mixed';
  providerLatencyMs: number | null;
  processes: ProcessUsage[];
  /** From the services' /metrics: engine handling time and provider call time during this run. */
  timing?: TimingBreakdown[];
}

/** Runs `fn` while sampling the processes, and tags the result. */
async function measured(
  mode: ModeRun['mode'],
  workload: ModeRun['workload'],
  latency: number | null,
  watch: ChildService[],
  fn: () => Promise<RunResult>,
): Promise<ModeRun> {
  const sampler = new ProcSampler();
  for (const s of watch) sampler.watch(s.name, s.pid);
  sampler.watch('kafka-broker', runningBrokerPid());
  sampler.watch('bench', process.pid);
  sampler.start();
  const services = watch.filter((s) => s.name.endsWith('-svc'));
  const before = await Promise.all(services.map((s) => scrape(s)));
  const result = await fn();
  const processes = sampler.stop();
  const after = await Promise.all(services.map((s) => scrape(s)));
  const timing = services.map((s, i) => breakdown(s.name, before[i]!, after[i]!));
  return { ...result, mode, workload, providerLatencyMs: latency, processes, timing };
}

/** A collector and a producer per stack: a producer that knew a deleted topic fails its metadata refresh. */
async function withCollector<T>(stack: ServiceStack, id: string, fn: (c: EventCollector, p: Producer) => Promise<T>): Promise<T> {
  const collector = new EventCollector([stack.topics.cardholderEvents, stack.topics.cardEvents], `bench.${id}.collector`);
  const producer = await connectProducer();
  await collector.start();
  try {
    return await fn(collector, producer);
  } finally {
    await collector.stop();
    await producer.disconnect();
  }
}

export async function runBenchmark(options: BenchOptions): Promise<{ file: string; results: unknown }> {
  const started = new Date();
  const run = newRunId();
  await ensureInfrastructure();
  const log = (s: string) => process.stdout.write(`${s}\n`);
  const runs: ModeRun[] = [];
  const sandbox = await startSandbox();
  let soak: unknown;
  const profileDir = path.join(options.outDir, `profiles-${run}`);
  let postgres: Awaited<ReturnType<typeof postgresCeiling>> | undefined;
  try {
    if (options.soakSeconds) {
      soak = await soakRun(options, run, sandbox);
    } else {
      // 1. ceiling
      log('ceiling: bare kafkajs round trip and Postgres commit rate');
      const ceiling = await kafkaCeiling(`${run}.ceil`, options.n * 3, options.rates);
      for (const r of ceiling.runs) runs.push({ ...r, mode: 'ceiling', workload: 'echo', providerLatencyMs: null, processes: ceiling.processes });
      postgres = await postgresCeiling(`${run}_pg`, options.quick ? 300 : 5000);

      // 2. baseline: the real cardholder-svc behind a per-partition sequential driver (see SequentialGate)
      log('baseline: cardholder-svc, one command at a time per partition (SequentialGate)');
      const base = await startStack({ id: `${run}.base`, sandboxUrl: sandbox.baseUrl, withCardSvc: false, gate: true });
      try {
        await withCollector(base, `${run}.base`, async (collector, producer) => {
          const gateTopic = base.gateTopic!;
          const gate = new SequentialGate(gateTopic, () => base.topics.cardholderCommands, TOPIC_PARTITIONS[TOPICS.cardholderCommands], `bench.${run}.gate`, collector);
          await gate.start();
          try {
            for (const latency of options.latencies) {
              await setProviderLatency(sandbox, latency);
              const n = Math.min(options.n, latency === 0 ? 1000 : 300);
              const commands = kycCommands(base.topics, `${run}b${latency}`, n).map((c) => ({ ...c, topic: gateTopic }));
              runs.push(await measured('baseline', 'kyc', latency, [...base.services, sandbox], () =>
                runLoad(`baseline kyc ${latency}ms max`, producer, collector, commands, 'max', 120_000)));
            }
          } finally {
            await gate.stop();
          }
        });
      } finally {
        await base.close();
      }

      // 3. product: both services with their engine defaults
      log('product: cardholder-svc + card-svc, engine defaults');
      const prod = await startStack({
        id: `${run}.prod`,
        sandboxUrl: sandbox.baseUrl,
        withCardSvc: true,
        nodeArgs: options.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
      });
      try {
        await withCollector(prod, `${run}.prod`, async (collector, producer) => {
          await setProviderLatency(sandbox, 0);
          const pool = await prepareCardPool(prod.topics, producer, collector, run, options.quick ? 10 : 100, options.quick ? 10_000 : 30_000);
          log(`card pool: ${pool.cardholderNos.length} cardholders, ${pool.cardUniqueNos.length} activated cards`);
          const watch = [...prod.services, sandbox];
          for (const latency of options.latencies) {
            await setProviderLatency(sandbox, latency);
            runs.push(await measured('product', 'kyc', latency, watch, () =>
              runLoad(`product kyc ${latency}ms max`, producer, collector, kycCommands(prod.topics, `${run}k${latency}`, options.n), 'max')));
            runs.push(await measured('product', 'mixed', latency, watch, () =>
              runLoad(`product mixed ${latency}ms max`, producer, collector, mixedCommands(prod.topics, pool, `${run}m${latency}`, options.n), 'max')));
            for (const rate of options.rates) {
              const count = Math.round(rate * rateSeconds(options.n, rate));
              runs.push(await measured('product', 'mixed', latency, watch, () =>
                runLoad(`product mixed ${latency}ms ${rate}/s`, producer, collector, mixedCommands(prod.topics, pool, `${run}r${latency}x${rate}`, count), rate)));
            }
          }
        });
      } finally {
        await prod.close();
      }
    }
  } finally {
    await sandbox.stop();
  }

  const results = {
    date: started.toISOString(),
    options: { quick: options.quick, n: options.n, rates: options.rates, providerLatenciesMs: options.latencies, soakSeconds: options.soakSeconds ?? null },
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model,
      memoryGb: Math.round(os.totalmem() / 2 ** 30),
      node: process.version,
      loadAverageAtEnd: os.loadavg().map((l) => Math.round(l * 100) / 100),
      note: 'shared with other engineers running tests at the same time; figures are lower bounds of an idle machine',
    },
    postgresCeiling: postgres ?? null,
    runs,
    ratios: soak ? null : ratios(runs),
    // Written when the services exit (after the product runs); one per service process.
    cpuProfiles: options.cpuProf && existsSync(profileDir)
      ? readdirSync(profileDir).filter((f) => f.endsWith('.cpuprofile')).map((f) => summarizeProfile(path.join(profileDir, f), 12))
      : null,
    soak: soak ?? null,
  };
  mkdirSync(options.outDir, { recursive: true });
  const stamp = started.toISOString().replace(/[:.]/g, '-');
  const file = path.join(options.outDir, `${options.quick ? 'quick-' : options.soakSeconds ? 'soak-' : ''}${stamp}.json`);
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  if (!soak) {
    const chart = chartOf(runs, started);
    writeFileSync(file.replace(/\.json$/, '.svg'), chart);
    log(table(runs, results.ratios!, postgres));
  } else log(JSON.stringify(soak, null, 2));
  log(`results: ${path.relative(process.cwd(), file)}`);
  return { file, results };
}

function find(runs: ModeRun[], mode: ModeRun['mode'], workload: ModeRun['workload'], latency: number | null, rate: number | 'max' = 'max') {
  return runs.find((r) => r.mode === mode && r.workload === workload && r.providerLatencyMs === latency && r.rate === rate);
}

export function ratios(runs: ModeRun[]) {
  const ceiling = find(runs, 'ceiling', 'echo', null);
  const out: Record<string, number | null> = {};
  for (const latency of [...new Set(runs.map((r) => r.providerLatencyMs).filter((l): l is number => l !== null))]) {
    const base = find(runs, 'baseline', 'kyc', latency);
    const kyc = find(runs, 'product', 'kyc', latency);
    const mixed = find(runs, 'product', 'mixed', latency);
    const div = (a?: number, b?: number) => (a && b ? Math.round((a / b) * 100) / 100 : null);
    out[`product_over_baseline_kyc_${latency}ms`] = div(kyc?.throughput, base?.throughput);
    out[`product_kyc_over_ceiling_${latency}ms`] = div(kyc?.throughput, ceiling?.throughput);
    out[`product_mixed_over_ceiling_${latency}ms`] = div(mixed?.throughput, ceiling?.throughput);
  }
  return out;
}

function table(runs: ModeRun[], r: Record<string, number | null>, pg?: { commitsPerSecond: number; connections: number }): string {
  const rows = runs.map((x) => {
    const cpu = x.processes.filter((p) => p.name !== 'bench').map((p) => `${p.name.replace('keysecure-', '')} ${p.cpuCores}`).join(', ');
    const handling = (x.timing ?? []).filter((t) => t.commandsHandled > 0).map((t) => `${t.service} ${t.meanHandlingMs}`).join(', ') || '-';
    return `| ${x.mode} | ${x.workload} | ${x.providerLatencyMs ?? '-'} | ${x.rate} | ${x.completed}/${x.sent} | ${x.throughput} | ${x.latencyMs.p50} | ${x.latencyMs.p90} | ${x.latencyMs.p99} | ${x.latencyMs.max} | ${handling} | ${cpu} |`;
  });
  return [
    '| mode | workload | provider ms | rate | done/sent | cmd/s | p50 ms | p90 ms | p99 ms | max ms | mean handling ms | CPU cores |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    pg ? `Postgres ceiling (inbox + state + outbox row per transaction, ${pg.connections} connections): ${pg.commitsPerSecond} commits/s` : '',
    '',
    '| ratio | value |',
    '|---|---|',
    ...Object.entries(r).map(([k, v]) => `| ${k} | ${v ?? 'n/a'} |`),
  ].join('\n');
}

function chartOf(runs: ModeRun[], date: Date): string {
  const latency = runs
    .filter((r) => r.rate !== 'max' && (r.mode === 'product' || r.mode === 'ceiling'))
    .map((r) => ({ label: `${r.mode === 'ceiling' ? 'kafka' : `${r.providerLatencyMs}ms`} ${r.rate}/s`, ...r.latencyMs }));
  const throughput = runs
    .filter((r) => r.rate === 'max')
    .map((r) => ({ label: `${r.mode} ${r.workload}${r.providerLatencyMs !== null ? ` ${r.providerLatencyMs}ms` : ''}`, value: r.throughput }));
  return renderChart(`Issuing Bridge benchmark ${date.toISOString().slice(0, 16)} (2 shared cores)`, latency, throughput);
}

/** Soak: the product at a steady mixed rate; RSS of each process at the start and the end. */
async function soakRun(options: BenchOptions, run: string, sandbox: ChildService) {
  const prod = await startStack({ id: `${run}.soak`, sandboxUrl: sandbox.baseUrl, withCardSvc: true });
  try {
    return await withCollector(prod, `${run}.soak`, async (collector, producer) => {
      await setProviderLatency(sandbox, 0);
      const pool = await prepareCardPool(prod.topics, producer, collector, run, 50);
      const rate = options.quick ? 50 : 100;
      const sampler = new ProcSampler(5_000);
      for (const s of [...prod.services, sandbox]) sampler.watch(s.name, s.pid);
      sampler.start();
      // One-minute slices so the collector's memory stays small and each slice reports its latency.
      const slices: RunResult[] = [];
      const sliceSeconds = Math.min(60, options.soakSeconds!);
      for (let t = 0; t < options.soakSeconds!; t += sliceSeconds) {
        const commands = mixedCommands(prod.topics, pool, `${run}s${t}`, rate * sliceSeconds);
        slices.push(await runLoad(`soak ${t}s/${options.soakSeconds}s at ${rate}/s`, producer, collector, commands, rate));
      }
      const usage = sampler.stop();
      return {
        rate,
        seconds: options.soakSeconds,
        processes: usage.map((u) => ({
          ...u,
          rssSeries: sampler.series(u.name).map((s) => Math.round(s.rssMb)),
          rssChangePercent: Math.round(((u.rssEndMb - u.rssStartMb) / u.rssStartMb) * 1000) / 10,
        })),
        slices: slices.map((s) => ({ throughput: s.throughput, p99: s.latencyMs.p99, lost: s.lost })),
      };
    });
  } finally {
    await prod.close();
  }
}

if (require.main === module) {
  runBenchmark(parseArgs(process.argv.slice(2))).then(
    () => process.exit(0),
    (e: unknown) => {
      process.stderr.write(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exit(1);
    },
  );
}
