import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { TOPICS, TOPIC_PARTITIONS, type TopicName } from '@issuing-bridge/contracts';
import { freePort } from '../test/support/free-port';
import { waitFor } from '../test/support/wait-for';

export const REPO_ROOT = path.resolve(__dirname, '..');
export const BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
export const BASE_DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/issuing_bridge';

export const kafka = new Kafka({ clientId: `bench-${process.pid}`, brokers: BROKERS, logLevel: logLevel.NOTHING });

/** Throwaway copies of the contract topics, same partition counts, named `bench.<run>.<topic>`. */
export type BenchTopics = Record<keyof typeof TOPICS, string>;

export async function createBenchTopics(prefix: string): Promise<BenchTopics> {
  const topics = Object.fromEntries(
    Object.entries(TOPICS).map(([k, name]) => [k, `${prefix}.${name}`]),
  ) as BenchTopics;
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: false, // kafkajs can fail here on a busy broker (unknown topic); waitForLeaders() below retries
      topics: (Object.keys(TOPICS) as (keyof typeof TOPICS)[]).map((k) => ({
        topic: topics[k],
        numPartitions: TOPIC_PARTITIONS[TOPICS[k] as TopicName],
        replicationFactor: 1,
      })),
    });
    await waitForLeaders(admin, Object.values(topics));
  } catch (e) {
    await admin.deleteTopics({ topics: Object.values(topics) }).catch(() => undefined);
    throw e;
  } finally {
    await admin.disconnect();
  }
  return topics;
}

/**
 * kafkajs' own createTopics `waitForLeaders` throws "This server does not host this topic-partition"
 * when a busy broker answers metadata before the new topic; poll until each partition has a leader.
 */
async function waitForLeaders(admin: ReturnType<typeof kafka.admin>, names: string[]): Promise<void> {
  await waitFor(
    async () => {
      const { topics } = await admin.fetchTopicMetadata({ topics: names });
      return topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0)) ? true : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 200, description: `leaders of ${names.length} bench topics` },
  );
}

/** The baseline gate's input topic, with the cardholder command topic's partition count. */
export async function createGateTopic(name: string): Promise<string> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: false, // kafkajs can fail here on a busy broker (unknown topic); waitForLeaders() below retries
      topics: [{ topic: name, numPartitions: TOPIC_PARTITIONS[TOPICS.cardholderCommands], replicationFactor: 1 }],
    });
    await waitForLeaders(admin, [name]);
  } finally {
    await admin.disconnect();
  }
  return name;
}

export async function deleteTopics(names: string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.deleteTopics({ topics: names }).catch(() => undefined);
  } finally {
    await admin.disconnect();
  }
}

async function adminQuery(sql: string): Promise<void> {
  const admin = new URL(BASE_DATABASE_URL);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A throwaway database per stack, so the services' schemas and rows never touch the shared one. */
export async function createBenchDatabase(name: string): Promise<string> {
  await adminQuery(`CREATE DATABASE "${name}"`);
  const url = new URL(BASE_DATABASE_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function dropBenchDatabase(name: string): Promise<void> {
  await adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).catch(() => undefined);
}

export interface ChildService {
  name: string;
  pid: number;
  port: number;
  baseUrl: string;
  child: ChildProcess;
  /** Last lines of stderr, for failure messages. */
  tail(): string;
  stop(): Promise<void>;
}

/**
 * Starts `node -r @swc-node/register <entry>` like test/support's spawnService, but stdout is dropped
 * (a service's info logs at thousands of commands per second would cost the bench memory and CPU).
 */
export async function startChild(
  name: string,
  entry: string,
  portVariable: string,
  env: Record<string, string>,
  readyPath: string | undefined,
  nodeArgs: string[] = [],
): Promise<ChildService> {
  const port = await freePort();
  const child = spawn(process.execPath, [...nodeArgs, '-r', '@swc-node/register', entry], {
    cwd: REPO_ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env, [portVariable]: String(port) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = once(child, 'exit');
  const service: ChildService = {
    name,
    pid: child.pid!,
    port,
    baseUrl: `http://127.0.0.1:${port}`,
    child,
    tail: () => stderr,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
  if (readyPath) {
    try {
      const state = await waitFor(
        async () => {
          if (child.exitCode !== null) return 'exited';
          const res = await fetch(`${service.baseUrl}${readyPath}`).catch(() => undefined);
          return res?.status === 200 ? 'ready' : undefined;
        },
        { timeoutMs: 90_000, intervalMs: 250, description: `${name} ready on ${readyPath}` },
      );
      if (state === 'exited') throw new Error(`${name} exited with ${child.exitCode}`);
    } catch (e) {
      await service.stop();
      throw new Error(`${name} did not become ready: ${String(e)}\n${stderr}`);
    }
  }
  return service;
}

/** The KeySecure sandbox as a child process (its CPU and memory are sampled separately). */
export async function startSandbox(): Promise<ChildService> {
  const sandbox = await startChild(
    'keysecure-sandbox',
    'apps/keysecure-sandbox/src/main.ts',
    'KEYSECURE_SANDBOX_PORT',
    {
      KEYSECURE_SANDBOX_CALLBACK_URL: '', // no gateway in the bench: card-svc follows issuance by polling
      KEYSECURE_SANDBOX_KYC_STEP_DELAY_MS: '50',
      KEYSECURE_SANDBOX_CARD_ISSUE_DELAY_MS: '100',
    },
    undefined,
  );
  await waitFor(
    async () => {
      if (sandbox.child.exitCode !== null) throw new Error(`sandbox exited: ${sandbox.tail()}`);
      const res = await fetch(`${sandbox.baseUrl}/__admin/faults`).catch(() => undefined);
      return res?.ok ? true : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 200, description: 'sandbox admin API' },
  );
  return sandbox;
}

/** Sets the provider latency with the sandbox's `latency` fault on every endpoint (0 = none). */
export async function setProviderLatency(sandbox: ChildService, latencyMs: number): Promise<void> {
  await fetch(`${sandbox.baseUrl}/__admin/faults`, { method: 'DELETE' });
  if (latencyMs > 0) {
    const res = await fetch(`${sandbox.baseUrl}/__admin/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'latency', latencyMs }),
    });
    if (!res.ok) throw new Error(`sandbox refused the latency fault: ${res.status} ${await res.text()}`);
  }
}
