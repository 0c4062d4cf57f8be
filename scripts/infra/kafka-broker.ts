// A single-node Apache Kafka (KRaft) broker run straight from the Maven jars: no Docker, no manual
// install. Jars are cached per version outside the repo; config, data, log and pid file live in the
// state folder so `infra:down` can find the broker a later shell started.
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';

const execFileAsync = promisify(execFile);
const REPO_ROOT = path.resolve(__dirname, '..', '..');

export const KAFKA_VERSION = process.env.ISSUING_BRIDGE_KAFKA_VERSION ?? '4.1.1';
// Kafka 4 logs through SLF4J 1.7; log4j-slf4j-impl is the log4j2 binding for that API.
const LOG4J_VERSION = '2.24.3';
// Other ports only to run a second, throwaway broker beside the shared one (e.g. to try these scripts).
export const KAFKA_PORT = Number(process.env.ISSUING_BRIDGE_KAFKA_PORT || 9092);
export const CONTROLLER_PORT = KAFKA_PORT + 1;
export const LOCAL_BROKERS = [`127.0.0.1:${KAFKA_PORT}`];

export interface KafkaPaths {
  cacheDir: string;
  libsDir: string;
  stateDir: string;
  dataDir: string;
  logsDir: string;
  logFile: string;
  pidFile: string;
  configFile: string;
}

export function kafkaPaths(): KafkaPaths {
  const cacheRoot = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  const stateRoot =
    process.env.ISSUING_BRIDGE_STATE_DIR ||
    path.join(os.homedir(), '.local', 'state', 'issuing-bridge');
  const cacheDir = path.join(cacheRoot, 'issuing-bridge', `kafka-${KAFKA_VERSION}`);
  const stateDir = path.join(stateRoot, 'kafka');
  const logsDir = path.join(stateDir, 'logs');
  return {
    cacheDir,
    libsDir: path.join(cacheDir, 'libs'),
    stateDir,
    dataDir: path.join(stateDir, 'data'),
    logsDir,
    logFile: path.join(logsDir, 'server.log'),
    pidFile: path.join(stateDir, 'kafka.pid'),
    configFile: path.join(stateDir, 'server.properties'),
  };
}

const log = (msg: string): void => {
  process.stderr.write(`[infra] ${msg}\n`);
};

/** Resolves kafka_2.13 and its runtime dependencies with Maven once; later runs reuse the cache. */
export async function fetchKafkaJars(paths = kafkaPaths()): Promise<void> {
  const marker = path.join(paths.cacheDir, '.complete');
  if (fs.existsSync(marker)) return;
  log(
    `fetching Apache Kafka ${KAFKA_VERSION} jars with Maven into ${paths.cacheDir} (first run only)`,
  );
  fs.mkdirSync(paths.cacheDir, { recursive: true });
  const work = fs.mkdtempSync(path.join(paths.cacheDir, 'fetch-'));
  const staging = path.join(work, 'libs');
  const dep = (g: string, a: string, v: string): string =>
    `<dependency><groupId>${g}</groupId><artifactId>${a}</artifactId><version>${v}</version></dependency>`;
  fs.writeFileSync(
    path.join(work, 'pom.xml'),
    `<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
<groupId>local.issuing-bridge</groupId><artifactId>kafka-fetch</artifactId><version>1</version>
<packaging>pom</packaging><dependencies>
${dep('org.apache.kafka', 'kafka_2.13', KAFKA_VERSION)}
${dep('org.apache.logging.log4j', 'log4j-core', LOG4J_VERSION)}
${dep('org.apache.logging.log4j', 'log4j-slf4j-impl', LOG4J_VERSION)}
</dependencies></project>\n`,
  );
  try {
    await execFileAsync(
      'mvn',
      [
        '-q',
        '-B',
        'dependency:copy-dependencies',
        `-DoutputDirectory=${staging}`,
        '-DincludeScope=runtime',
      ],
      { cwd: work, maxBuffer: 16 * 1024 * 1024 },
    );
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    fs.rmSync(work, { recursive: true, force: true });
    throw new Error(
      `Maven could not fetch org.apache.kafka:kafka_2.13:${KAFKA_VERSION}: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`,
    );
  }
  // Two jars bind SLF4J 2 and would fight the log4j binding; the broker uses SLF4J 1.7.
  for (const jar of fs.readdirSync(staging)) {
    if (/^log4j-slf4j2-impl-|^slf4j-reload4j-/.test(jar)) fs.rmSync(path.join(staging, jar));
  }
  fs.rmSync(paths.libsDir, { recursive: true, force: true });
  fs.renameSync(staging, paths.libsDir);
  fs.rmSync(work, { recursive: true, force: true });
  fs.writeFileSync(marker, new Date().toISOString());
}

function writeServerProperties(paths: KafkaPaths): void {
  const template = fs.readFileSync(
    path.join(REPO_ROOT, 'config', 'kafka', 'server.properties'),
    'utf8',
  );
  const values: Record<string, string> = {
    KAFKA_PORT: String(KAFKA_PORT),
    CONTROLLER_PORT: String(CONTROLLER_PORT),
    DATA_DIR: paths.dataDir,
  };
  const text = template.replace(/\{\{(\w+)\}\}/g, (_m, key: string) => {
    const value = values[key];
    if (value === undefined)
      throw new Error(`config/kafka/server.properties: unknown placeholder {{${key}}}`);
    return value;
  });
  fs.writeFileSync(paths.configFile, text);
}

function javaArgs(paths: KafkaPaths, mainClass: string, args: string[]): string[] {
  return [
    '-Xms128m',
    '-Xmx512m',
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=20',
    '-Djava.awt.headless=true',
    `-Dkafka.logs.dir=${paths.logsDir}`,
    `-Dlog4j2.configurationFile=${path.join(REPO_ROOT, 'config', 'kafka', 'log4j2.xml')}`,
    '-cp',
    path.join(paths.libsDir, '*'),
    mainClass,
    ...args,
  ];
}

/** Formats the KRaft storage once; an existing meta.properties means it is formatted already. */
async function formatStorage(paths: KafkaPaths): Promise<void> {
  if (fs.existsSync(path.join(paths.dataDir, 'meta.properties'))) return;
  // Kafka's Uuid.toString(): 16 random bytes, base64url without padding.
  const clusterId = randomBytes(16).toString('base64url');
  log(`formatting KRaft storage in ${paths.dataDir} (cluster ${clusterId})`);
  await execFileAsync(
    'java',
    javaArgs(paths, 'kafka.tools.StorageTool', [
      'format',
      '--standalone',
      '-t',
      clusterId,
      '-c',
      paths.configFile,
    ]),
  ).catch((err: { message: string; stdout?: string; stderr?: string }) => {
    throw new Error(
      `Kafka storage format failed: ${err.message}\n${err.stdout ?? ''}${err.stderr ?? ''}`,
    );
  });
}

/** Pid of the broker this script started, when that process is still a running Kafka broker. */
export function runningBrokerPid(paths = kafkaPaths()): number | undefined {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(paths.pidFile, 'utf8').trim());
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    // A reused pid must not be mistaken for the broker.
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes('kafka.Kafka') && cmdline.includes(paths.configFile) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** True when a broker answers a metadata request at `brokers` (whoever started it). */
export async function brokerAnswers(brokers: string[], timeoutMs = 3000): Promise<boolean> {
  const admin = new Kafka({
    clientId: 'issuing-bridge-infra-probe',
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: timeoutMs,
    requestTimeout: timeoutMs,
    retry: { retries: 0 },
  }).admin();
  try {
    await admin.connect();
    await admin.describeCluster();
    return true;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

export function tailOfLog(file: string, lines = 40): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return `(no log at ${file})`;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Starts the local broker unless one already answers on 127.0.0.1:KAFKA_PORT.
 * Returns true when this call started it (so the caller knows whether to stop it).
 */
export async function startLocalBroker(readyTimeoutMs = 90_000): Promise<boolean> {
  const paths = kafkaPaths();
  if (await brokerAnswers(LOCAL_BROKERS)) return false;
  const existing = runningBrokerPid(paths);
  if (existing) {
    // Started by an earlier run and still booting: wait for it rather than start a second one.
    log(`broker pid ${existing} is starting; waiting for it`);
    await waitUntilReady(existing, paths, readyTimeoutMs);
    return false;
  }
  await fetchKafkaJars(paths);
  for (const dir of [paths.stateDir, paths.dataDir, paths.logsDir])
    fs.mkdirSync(dir, { recursive: true });
  writeServerProperties(paths);
  await formatStorage(paths);

  log(`starting Kafka ${KAFKA_VERSION} on 127.0.0.1:${KAFKA_PORT} (log: ${paths.logFile})`);
  const out = fs.openSync(path.join(paths.logsDir, 'stdout.log'), 'a');
  // Detached in its own process group: a Ctrl-C in the shell that ran infra:up must not reach it.
  const child = spawn('java', javaArgs(paths, 'kafka.Kafka', [paths.configFile]), {
    detached: true,
    stdio: ['ignore', out, out],
  });
  fs.closeSync(out);
  if (!child.pid) throw new Error('could not spawn java: is Java 17+ on PATH?');
  fs.writeFileSync(paths.pidFile, String(child.pid));
  child.unref();
  await waitUntilReady(child.pid, paths, readyTimeoutMs);
  return true;
}

async function waitUntilReady(pid: number, paths: KafkaPaths, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) {
      throw new Error(
        `Kafka broker (pid ${pid}) exited during start-up. Last lines of ${paths.logFile}:\n${tailOfLog(paths.logFile)}\n` +
          `stdout/stderr:\n${tailOfLog(path.join(paths.logsDir, 'stdout.log'), 15)}`,
      );
    }
    if (await brokerAnswers(LOCAL_BROKERS, 2000)) {
      log(`Kafka is up on 127.0.0.1:${KAFKA_PORT} (pid ${pid})`);
      return;
    }
    await sleep(500);
  }
  throw new Error(
    `Kafka broker (pid ${pid}) did not answer on 127.0.0.1:${KAFKA_PORT} within ${timeoutMs / 1000}s. ` +
      `Last lines of ${paths.logFile}:\n${tailOfLog(paths.logFile)}`,
  );
}

/** Stops the broker this tooling started: SIGTERM, then SIGKILL after the grace period. */
export async function stopLocalBroker(graceMs = 30_000): Promise<'stopped' | 'not-running'> {
  const paths = kafkaPaths();
  const pid = runningBrokerPid(paths);
  if (!pid) {
    fs.rmSync(paths.pidFile, { force: true });
    return 'not-running';
  }
  log(`stopping Kafka (pid ${pid})`);
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(250);
  if (isAlive(pid)) {
    log(`Kafka did not stop within ${graceMs / 1000}s; sending SIGKILL`);
    process.kill(pid, 'SIGKILL');
    while (isAlive(pid)) await sleep(100);
  }
  fs.rmSync(paths.pidFile, { force: true });
  return 'stopped';
}
