// The fault suite: own broker, own Postgres, own sandbox, the three apps as child processes; mixed
// command scripts over many keys while processes are SIGKILLed, the broker and Postgres restarted and
// the provider misbehaves; then the verdict. Everything is torn down at the end, always.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { freePort, waitFor } from '../support';
import { CallbackRelay } from './callback-relay';
import { CommandDriver, Observations, ResilientProducer, prng } from './driver';
import { OwnKafka, OwnPostgres } from './infrastructure';
import { malformedCommands, type MalformedRecord } from './malformed-commands';
import { AppProcess, logPath } from './processes';
import { LiveRecorder, readAllTopics } from './topic-recorder';
import { formatTable, judge, type SandboxState, type VerdictLine } from './verdict';

export interface FaultSuiteOptions {
  commands: number;
  seed: number;
  report?: string;
  /** Malformed commands published by the fuzzer. */
  fuzz?: number;
  /** Cardholder scripts running at once. */
  concurrency?: number;
  /** Multiplies every offset of the fault schedule (CI uses a shorter cycle). */
  cycleScale?: number;
  /** Where logs go; a temp dir by default. */
  workDir?: string;
  log?: (line: string) => void;
}

export interface FaultSuiteResult {
  passed: boolean;
  lines: VerdictLine[];
  table: string;
  workDir: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const API_KEY = 'faults-api-key-0001';
const run$ = promisify(execFile);

interface FaultStep {
  at: number;
  name: string;
  act: () => Promise<void>;
}

export async function runFaultSuite(options: FaultSuiteOptions): Promise<FaultSuiteResult> {
  const log = options.log ?? ((l: string) => process.stdout.write(`[faults] ${l}\n`));
  const workDir = options.workDir ?? mkdtempSync(path.join(tmpdir(), 'ib-faults-run-'));
  const logDir = path.join(workDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const runId = options.seed.toString(36).toUpperCase() + Date.now().toString(36).slice(-4).toUpperCase();
  const random = prng(options.seed);
  const scale = options.cycleScale ?? 1;
  const fuzzCount = options.fuzz ?? Math.max(20, Math.round(options.commands / 50));
  const concurrency = options.concurrency ?? Math.max(10, Math.min(60, Math.round(options.commands / 30)));
  log(`run ${runId}: ${options.commands} commands, seed ${options.seed}, ${fuzzCount} malformed, concurrency ${concurrency}, logs in ${logDir}`);

  const teardown: (() => Promise<unknown>)[] = [];
  const processes: AppProcess[] = [];
  let tornDown = false;
  const tearDown = async () => {
    if (tornDown) return;
    tornDown = true;
    await Promise.all(processes.map((p) => p.close().catch(() => undefined)));
    for (const step of teardown.reverse()) await step().catch(() => undefined);
    log('torn down');
  };
  // Ctrl-C / a CI timeout: still stop the broker, Postgres and every app we started.
  const onSignal = (signal: NodeJS.Signals) => {
    log(`${signal}: tearing down`);
    void tearDown().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    // --- infrastructure ---------------------------------------------------------------------------
    const pg = await OwnPostgres.create(logDir);
    teardown.push(() => pg.destroy());
    log(`own Postgres on ${pg.port} (${pg.dir})`);
    const kafka = await OwnKafka.create(pg.url);
    teardown.push(() => kafka.destroy());
    log(`own Kafka broker on ${kafka.brokers} (${kafka.stateDir})`);

    const ports = { gateway: await freePort(), holder: await freePort(), card: await freePort(), sandbox: await freePort() };
    const relay = new CallbackRelay(() => `http://127.0.0.1:${ports.gateway}/callbacks/keysecure`);
    await relay.start();
    teardown.push(() => relay.stop());

    // Each app's crash point: the suite creates the file to make the app SIGKILL itself right after a
    // durable Postgres write (see DurableWriteCrashPoint in libs/platform).
    const crashFile = (app: string) => path.join(workDir, `${app}.crash-after-write`);
    const common = {
      NODE_ENV: 'development',
      LOG_LEVEL: 'info',
      KAFKA_BROKERS: kafka.brokers,
      DATABASE_URL: pg.url,
      KEYSECURE_BASE_URL: `http://127.0.0.1:${ports.sandbox}`,
    };
    const sandbox = new AppProcess(
      'keysecure-sandbox',
      ports.sandbox,
      {
        KEYSECURE_SANDBOX_PORT: String(ports.sandbox),
        KEYSECURE_SANDBOX_CALLBACK_URL: relay.url,
        KEYSECURE_SANDBOX_KYC_STEP_DELAY_MS: '200',
        KEYSECURE_SANDBOX_CARD_ISSUE_DELAY_MS: '300',
      },
      logPath(logDir, 'keysecure-sandbox'),
      '/__admin/faults',
    );
    const gateway = new AppProcess(
      'gateway',
      ports.gateway,
      {
        ...common,
        FAULTS_CRASH_AFTER_WRITE_FILE: crashFile('gateway'),
        GATEWAY_PORT: String(ports.gateway),
        GATEWAY_API_KEYS: `faults:${API_KEY}`,
        GATEWAY_RATE_LIMIT: '1000000',
      },
      logPath(logDir, 'gateway'),
    );
    const holderSvc = new AppProcess(
      'cardholder-svc',
      ports.holder,
      {
        ...common,
        FAULTS_CRASH_AFTER_WRITE_FILE: crashFile('cardholder-svc'),
        CARDHOLDER_SVC_PORT: String(ports.holder),
        CARDHOLDER_CONSUMER_SESSION_TIMEOUT_MS: '6000',
        KYC_POLL_INITIAL_MS: '300',
        KYC_POLL_MAX_MS: '2000',
        KYC_POLL_TICK_MS: '250',
        KYC_POLL_LEASE_MS: '5000',
      },
      logPath(logDir, 'cardholder-svc'),
    );
    const cardSvc = new AppProcess(
      'card-svc',
      ports.card,
      {
        ...common,
        FAULTS_CRASH_AFTER_WRITE_FILE: crashFile('card-svc'),
        CARD_SVC_PORT: String(ports.card),
        CARD_CONSUMER_SESSION_TIMEOUT_MS: '6000',
        CARD_ISSUANCE_POLL_INTERVAL_MS: '500',
        CARD_ISSUANCE_BACKOFF_START_MS: '500',
        CARD_ISSUANCE_BACKOFF_MAX_MS: '5000',
        CARD_ISSUANCE_LEASE_MS: '5000',
        CARD_RECONCILE_INTERVAL_MS: '0',
      },
      logPath(logDir, 'card-svc'),
    );
    processes.push(sandbox, gateway, holderSvc, cardSvc);
    await sandbox.start(30_000);
    await gateway.start(180_000);
    await Promise.all([holderSvc.start(180_000), cardSvc.start(180_000)]);
    log('sandbox, gateway, cardholder-svc, card-svc ready');

    const brokers = [kafka.brokers];
    const seen = new Observations();
    const recorder = new LiveRecorder(brokers, `faults-live-${runId}`);
    recorder.onRecord((r) => seen.accept(r));
    await recorder.start();
    teardown.push(() => recorder.stop());
    const producer = new ResilientProducer(() =>
      new Kafka({
        brokers,
        clientId: 'faults-driver',
        logLevel: logLevel.NOTHING,
        retry: { retries: 3, initialRetryTime: 300 },
      }).producer({ idempotent: true, maxInFlightRequests: 1 }),
    );
    teardown.push(() => producer.close());

    const driver = new CommandDriver(
      {
        run: runId,
        producer,
        gatewayUrl: gateway.baseUrl,
        gatewayApiKey: API_KEY,
        sandboxUrl: sandbox.baseUrl,
        random,
        httpShare: 0.25,
        duplicateShare: 0.05,
        stepTimeoutMs: 180_000,
        log,
      },
      seen,
    );

    // --- fault schedule ---------------------------------------------------------------------------
    const admin = (body: unknown, method = 'POST') =>
      fetch(`${sandbox.baseUrl}/__admin/faults`, {
        method,
        headers: { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    const providerFault = async (fault: Record<string, unknown>, ms: number) => {
      await admin(fault);
      await sleep(ms * scale);
      await admin(undefined, 'DELETE');
    };
    const inFlight = async (p: AppProcess): Promise<number> => {
      const text = await (await fetch(`${p.baseUrl}/metrics`)).text();
      return text
        .split('\n')
        .filter((l) => l.startsWith('messaging_commands_in_flight'))
        .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
    };
    // Kill while commands are in flight: slow provider answers keep them mid-way, and the kill waits
    // (up to 10 s) until the engine reports work in flight, so lost in-flight work shows in the verdict.
    const restart = async (p: AppProcess) => {
      await admin({ kind: 'latency', latencyMs: 3000 });
      const busy = await waitFor(async () => ((await inFlight(p)) > 0 ? true : undefined), {
        timeoutMs: 10_000,
        intervalMs: 100,
      }).catch(() => false);
      // Past the engine's offset-commit interval (200 ms), still inside the slowed provider call.
      if (busy) await sleep(1000);
      const n = await inFlight(p).catch(() => 0);
      await p.kill('SIGKILL');
      await admin(undefined, 'DELETE');
      log(`  ${p.app} killed with ${busy ? n : 0} commands in flight`);
      await p.start(180_000);
    };
    // The moment random kills almost never hit: right after a COMMIT (or an autocommitted write) was
    // acknowledged, before the code that asked for it continues. Work split over two commits that
    // should have been one (e.g. inbox before outbox) is lost exactly here.
    const faultRandom = prng(options.seed + 1); // the scripts' own sequence stays as the seed made it
    // `aim` = text the write must contain: 'messaging_inbox' aims at a command's outcome being recorded.
    const crashAfterWrite = async (p: AppProcess, aim?: string) => {
      const engine = p !== gateway;
      const busy = engine
        ? await waitFor(async () => ((await inFlight(p)) > 0 ? true : undefined), { timeoutMs: 10_000, intervalMs: 50 }).catch(() => false)
        : true;
      const skip = Math.floor(faultRandom() * 3);
      // The gateway writes only while HTTP commands or callbacks come in: do not hold the cycle for long.
      const crashed = await p.crashAfterWrite(crashFile(p.app), skip, aim, engine ? 30_000 : 15_000);
      log(
        crashed
          ? `  ${p.app} SIGKILLed itself after durable write #${skip + 1}${aim ? ` to ${aim}` : ''} (${busy ? 'commands in flight' : 'idle'} when armed)`
          : `  ${p.app} made no such durable write in time; SIGKILLed`,
      );
      await p.start(180_000);
    };
    // Cuts every open connection at once: transactions in flight abort mid-way, as in a failover.
    const terminateBackends = async (quiet = false) => {
      const client = new Client({ connectionString: pg.url });
      await client.connect();
      try {
        const r = await client.query(
          `SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity
            WHERE datname = 'issuing_bridge' AND pid <> pg_backend_pid()`,
        );
        if (!quiet) log(`  terminated ${r.rows[0].n} Postgres connections`);
      } finally {
        await client.end();
      }
    };
    const malformed: MalformedRecord[] = malformedCommands(options.seed, fuzzCount, runId);
    let fuzzSent = false;
    const steps: FaultStep[] = [
      { at: 5, name: 'SIGKILL card-svc while commands are in flight, restart', act: () => restart(cardSvc) },
      {
        at: 10,
        name: 'card-svc SIGKILLs itself right after a command outcome commits (inbox write), restart',
        act: () => crashAfterWrite(cardSvc, 'messaging_inbox'),
      },
      { at: 15, name: 'provider HTTP 503 on 30% of calls for 6 s', act: () => providerFault({ kind: 'http_error', status: 503, rate: 0.3 }, 6000) },
      {
        at: 24,
        name: `publish ${fuzzCount} malformed commands (first cycle)`,
        act: async () => {
          if (fuzzSent) return;
          fuzzSent = true;
          for (const m of malformed)
            await producer.send(m.topic, m.key, m.value);
        },
      },
      { at: 28, name: 'SIGKILL cardholder-svc while commands are in flight, restart', act: () => restart(holderSvc) },
      {
        at: 34,
        name: 'cardholder-svc SIGKILLs itself right after a command outcome commits (inbox write), restart',
        act: () => crashAfterWrite(holderSvc, 'messaging_inbox'),
      },
      {
        at: 40,
        name: 'stop the Kafka broker for 3 s, start it',
        act: async () => {
          await kafka.stop();
          await sleep(3000 * scale);
          await kafka.start();
        },
      },
      { at: 50, name: 'card-svc SIGKILLs itself right after a durable Postgres write, restart', act: () => crashAfterWrite(cardSvc) },
      { at: 55, name: 'gateway SIGKILLs itself right after a durable Postgres write, restart', act: () => crashAfterWrite(gateway) },
      {
        at: 60,
        name: 'crash Postgres (pg_ctl -m immediate) for 2 s, start it',
        act: async () => {
          await pg.stop('immediate');
          await sleep(2000 * scale);
          await pg.start();
        },
      },
      {
        at: 66,
        name: 'terminate every Postgres connection every 100 ms for 3 s (under load)',
        act: async () => {
          await admin({ kind: 'latency', latencyMs: 200 }); // commands pile up between provider call and commit
          const until = Date.now() + 3000 * scale;
          while (Date.now() < until) {
            await terminateBackends(true).catch(() => undefined);
            await sleep(100);
          }
          await admin(undefined, 'DELETE');
        },
      },
      { at: 72, name: 'provider timeouts on 10% of calls for 5 s', act: () => providerFault({ kind: 'timeout', rate: 0.1 }, 5000) },
      { at: 76, name: 'cardholder-svc SIGKILLs itself right after a durable Postgres write, restart', act: () => crashAfterWrite(holderSvc) },
      { at: 80, name: 'provider drops 30% of connections for 6 s', act: () => providerFault({ kind: 'drop', rate: 0.3 }, 6000) },
      { at: 88, name: 'provider answers 1009 to 30% of calls for 6 s', act: () => providerFault({ kind: 'error_code', code: 1009, rate: 0.3 }, 6000) },
      { at: 92, name: 'terminate every Postgres connection', act: () => terminateBackends() },
      { at: 96, name: 'deliver 10 captured callbacks again', act: () => relay.deliverDuplicates(10) },
    ];
    const cycleMs = 100_000 * scale;
    log('fault schedule (repeats every ' + (cycleMs / 1000).toFixed(0) + ' s while commands run):');
    for (const s of steps) log(`  +${(s.at * scale).toFixed(0)} s  ${s.name}`);

    let driving = true;
    let lastFaultEndedAt = Date.now();
    const faultLoop = (async () => {
      // At least one whole cycle; then until the last script has started (its tail runs fault-free,
      // which is what the recovery time measures).
      for (let cycle = 0; cycle === 0 || driving; cycle++) {
        const cycleStart = Date.now();
        for (const s of steps) {
          if (!driving && cycle > 0) break;
          const wait = cycleStart + s.at * scale * 1000 - Date.now();
          if (wait > 0) await sleep(wait);
          const t = Date.now();
          log(`fault: ${s.name}`);
          await s.act().catch((e: Error) => log(`fault step failed: ${s.name}: ${e.message}`));
          lastFaultEndedAt = Date.now();
          log(`fault over: ${s.name} (${((Date.now() - t) / 1000).toFixed(1)} s)`);
        }
        const rest = cycleStart + cycleMs - Date.now();
        if (driving && rest > 0) await sleep(rest);
      }
    })();

    // --- commands -----------------------------------------------------------------------------------
    const started = Date.now();
    const expectedScripts = Math.max(1, Math.round(options.commands / 7));
    const spacingMs = Math.min(2000, (cycleMs * 0.9) / expectedScripts);
    let running = 0;
    let index = 0;
    const scripts: Promise<void>[] = [];
    const progress = setInterval(() => {
      const waits = [...driver.waiting.values()];
      log(
        `progress: scripts ${index} (running ${running}), commands ${driver.stats.sent.length}, results ${seen.results.size}, ` +
          `producer failures ${producer.failures} (rebuilt ${producer.rebuilt}), waiting ${waits.length}${waits.length ? `: ${waits.slice(0, 3).join('; ')}` : ''}`,
      );
    }, 10_000);
    teardown.push(async () => clearInterval(progress));
    while (driver.stats.sent.length + running * 4 < options.commands) {
      while (running >= concurrency) await sleep(100);
      running += 1;
      scripts.push(driver.cardholderScript(index++).finally(() => (running -= 1)));
      await sleep(spacingMs);
    }
    driving = false;
    log(`all ${index} scripts started; faults stop after the current step (and the first whole cycle)`);
    await faultLoop;
    await admin(undefined, 'DELETE');
    await Promise.all(scripts);
    log(`all scripts done in ${((Date.now() - started) / 1000).toFixed(0)} s: ${driver.stats.sent.length} commands`);

    // --- settle ---------------------------------------------------------------------------------------
    const ids = () => new Set(driver.stats.sent.map((s) => s.id));
    await waitFor(() => [...ids()].every((id) => seen.results.has(id)), {
      timeoutMs: 120_000,
      intervalMs: 1000,
      description: 'a result for every command',
    }).catch((e: Error) => log(e.message));
    const sandboxState = async (): Promise<SandboxState> => {
      const body = (await (await fetch(`${sandbox.baseUrl}/__admin/state`)).json()) as any;
      return body.data ?? body;
    };
    const query = async <R>(sql: string): Promise<R[]> => {
      const client = new Client({ connectionString: pg.url });
      await client.connect();
      try {
        return (await client.query(sql)).rows as R[];
      } finally {
        await client.end();
      }
    };
    const tables = async () => ({
      cardholderRows: await query<any>('SELECT cardholder_unique_no, cardholder_no, kyc_status FROM cardholder.cardholders'),
      cardRows: await query<any>('SELECT card_unique_no, card_no, status FROM card.cards'),
    });
    // Polls and callbacks bring the tables to the provider's state; give them time to converge.
    await waitFor(
      async () => {
        const s = await sandboxState();
        const t = await tables();
        const holders = new Map(t.cardholderRows.map((r: any) => [r.cardholder_unique_no, r.kyc_status]));
        const cards = new Map(t.cardRows.map((r: any) => [r.card_unique_no, r.status]));
        return (
          s.cardholders.every((c) => holders.get(c.cardholder_unique_no) === c.status) &&
          s.cards.every((c) => cards.get(c.card_unique_no) === c.status)
        );
      },
      { timeoutMs: 60_000, intervalMs: 1000, description: 'tables equal to the sandbox' },
    ).catch((e: Error) => log(e.message));
    await sleep(2000); // last relay polls

    // --- evidence -------------------------------------------------------------------------------------
    const records = await readAllTopics(brokers);
    const state = await sandboxState();
    const { cardholderRows, cardRows } = await tables();
    const dump = await pgDump(pg).catch((e: Error) => `pg_dump failed: ${e.message}`);
    const crashes = processes
      .filter((p) => p.unexpectedExits > 0 || !p.alive())
      .map((p) => `${p.app}: ${p.unexpectedExits} exits we did not cause, alive=${p.alive()} (see ${p.logFile})`);
    await Promise.all(processes.map((p) => p.close()));
    processes.length = 0;
    const leaks = scanForSecrets(
      driver.stats.secrets,
      [
        ...readdirSync(logDir).map((f) => ({ where: `log ${f}`, text: readFileSync(path.join(logDir, f), 'utf8') })),
        { where: 'log postgres', text: safeRead(pg.logFile) },
        { where: 'log kafka', text: safeRead(kafka.logFile) },
        { where: 'tables (pg_dump)', text: dump },
        ...records.map((r) => ({
          where: `topic ${r.topic}/${r.partition}@${r.offset}`,
          text: `${r.key ?? ''} ${r.value} ${JSON.stringify(r.headers)}`,
        })),
      ],
    );
    const lines = judge({
      sent: driver.stats.sent,
      records,
      sandbox: state,
      cardholderRows,
      cardRows,
      malformed,
      crashes,
      leaks,
      httpReplayMismatches: driver.stats.httpReplayMismatches,
      httpRefused: driver.stats.httpRefused.map((h) => `${h.path} ${h.status} ${h.body}`),
      lastFaultEndedAt,
      kafkaDuplicates: driver.stats.kafkaDuplicates,
      httpReplays: driver.stats.httpReplays,
      callbackDuplicates: relay.duplicatesSent,
    });
    if (driver.stats.stalledChains.length > 0)
      lines.push({
        name: 'scripts that stalled (a step never got its result or state)',
        value: String(driver.stats.stalledChains.length),
        expected: '0',
        pass: false,
        // Evidence: the key's status events in the final read, their broker time, and whether the live
        // stream delivered them — a late event is the product's fault, an unseen one the observer's.
        detail: driver.stats.stalledChains.slice(0, 15).map((stall) => {
          const key = stall.split(/[: ]/)[0]!;
          const events = records
            .filter((r) => !r.topic.includes('commands') && String(r.json.type).includes('status_changed'))
            .filter((r) => r.json.data?.cardholder_unique_no === key || r.json.data?.card_unique_no === key)
            .map(
              (r) =>
                `${r.json.data.before ?? 'null'}→${r.json.data.after} ${r.topic}/${r.partition}@${r.offset} ` +
                `${new Date(r.timestamp).toISOString().slice(11, 23)}${seen.sawEvent(r.json.id) ? '' : ' NOT SEEN LIVE'}`,
            );
          return `${stall}; events: ${events.join(', ') || 'none'}`;
        }),
      });
    const table = formatTable(lines);
    const passed = lines.every((l) => l.pass);
    log(`verdict (${passed ? 'PASSED' : 'FAILED'}):\n${table}`);
    if (options.report) {
      writeFileSync(options.report, JSON.stringify({ runId, options, passed, lines, table, workDir }, null, 2));
      log(`report written to ${options.report}`);
    }
    return { passed, lines, table, workDir };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await tearDown();
  }
}

function safeRead(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

async function pgDump(pg: OwnPostgres): Promise<string> {
  const dumpExe = path.join(pg.bin, 'pg_dump');
  const { stdout } = await run$(dumpExe, ['-h', '127.0.0.1', '-p', String(pg.port), '-U', 'postgres', '-d', 'issuing_bridge'], {
    maxBuffer: 1024 * 1024 * 1024,
  });
  return stdout;
}

/**
 * Plaintext secrets: every PIN used, as a standalone 6-digit number (not inside hex, a fraction of a
 * second or a longer number), anywhere; and any 3-digit value
 * under a `cvv` key or after the word cvv (a bare 3-digit number is everywhere in logs, so a CVV is
 * searched next to its name). PINs under a `pin` key are found the same way.
 */
export function scanForSecrets(
  secrets: { cvv: Set<string>; pin: Set<string> },
  sources: { where: string; text: string }[],
): string[] {
  const found: string[] = [];
  const pins = [...secrets.pin];
  const pinPattern = pins.length > 0 ? new RegExp(`(?<![0-9A-Za-z.:+-])(${pins.join('|')})(?![0-9A-Za-z])`, 'g') : undefined;
  const keyed = /\b(cvv|pin)\b["'\s:=]{0,4}"?(\d{3,6})(?![0-9])/gi;
  for (const { where, text } of sources) {
    for (const m of text.matchAll(keyed)) {
      const ctx = text.slice(Math.max(0, m.index! - 60), m.index! + 40).replace(/\s+/g, ' ');
      found.push(`${where}: ${m[1]} value next to its name: …${ctx}…`);
    }
    if (pinPattern) {
      for (const m of text.matchAll(pinPattern)) {
        const ctx = text.slice(Math.max(0, m.index! - 60), m.index! + 20).replace(/\s+/g, ' ');
        found.push(`${where}: a PIN used by the suite: …${ctx}…`);
      }
    }
  }
  void secrets.cvv;
  return found;
}
