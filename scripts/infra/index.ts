// Local infrastructure for development, tests and CI: Kafka (KRaft, from Maven jars), Postgres and
// every topic of libs/contracts. CLI: `node -r @swc-node/register scripts/infra/index.ts up|down|status`
// (npm run infra:up / infra:down / infra:status). scripts/test.mjs and scripts/start.mjs use the API.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { TOPIC_PARTITIONS, type TopicName } from '../../libs/contracts/src/topics';
import {
  KAFKA_VERSION,
  LOCAL_BROKERS,
  brokerAnswers,
  kafkaPaths,
  runningBrokerPid,
  startLocalBroker,
  stopLocalBroker,
} from './kafka-broker';
import {
  databaseExists,
  databaseUrl,
  ensurePostgres,
  postgresAnswers,
  redactUrl,
} from './postgres';

export { kafkaPaths, KAFKA_VERSION } from './kafka-broker';

export interface InfrastructureHandle {
  brokers: string[];
  /** True when this call started the local broker; only then should the caller stop it. */
  startedBroker: boolean;
  databaseUrl: string;
}

/** KAFKA_BROKERS (comma separated) when set: an external broker we must not download or start. */
export function configuredBrokers(): string[] | undefined {
  const raw = process.env.KAFKA_BROKERS?.trim();
  return raw
    ? raw
        .split(',')
        .map((b) => b.trim())
        .filter(Boolean)
    : undefined;
}

function admin(brokers: string[]) {
  // Quiet: kafkajs logs retried, expected errors (coordinator still loading); real failures are thrown.
  return new Kafka({
    clientId: 'issuing-bridge-infra',
    brokers,
    logLevel: logLevel.NOTHING,
  }).admin();
}

/** Creates missing topics of libs/contracts and grows any that have fewer partitions than declared. */
export async function ensureTopics(brokers: string[]): Promise<void> {
  const client = admin(brokers);
  await client.connect();
  try {
    const existing = new Set(await client.listTopics());
    const wanted = Object.entries(TOPIC_PARTITIONS) as [TopicName, number][];
    const missing = wanted.filter(([name]) => !existing.has(name));
    if (missing.length > 0) {
      process.stderr.write(`[infra] creating topics ${missing.map(([n]) => n).join(', ')}\n`);
      await client.createTopics({
        waitForLeaders: true,
        topics: missing.map(([topic, numPartitions]) => ({
          topic,
          numPartitions,
          replicationFactor: 1,
        })),
      });
    }
    const present = wanted.filter(([name]) => existing.has(name));
    if (present.length > 0) {
      const meta = await client.fetchTopicMetadata({ topics: present.map(([n]) => n) });
      const grow = meta.topics
        .map((t) => ({
          topic: t.name,
          have: t.partitions.length,
          want: TOPIC_PARTITIONS[t.name as TopicName],
        }))
        .filter((t) => t.have < t.want);
      if (grow.length > 0) {
        await client.createPartitions({
          topicPartitions: grow.map((t) => ({ topic: t.topic, count: t.want })),
        });
      }
    }
    // Looking up a group coordinator makes the broker create __consumer_offsets now, so the first
    // consumer of a test run does not meet "group coordinator not available".
    await client.describeGroups(['issuing-bridge-infra-warmup']);
  } finally {
    await client.disconnect();
  }
  // Likewise an idempotent producer's InitProducerId meets "coordinator is loading" on a fresh broker.
  const producer = new Kafka({
    clientId: 'issuing-bridge-infra',
    brokers,
    logLevel: logLevel.NOTHING,
  }).producer({
    idempotent: true,
  });
  await producer.connect();
  await producer.disconnect();
}

/**
 * Serialises concurrent `up`s (two engineers, or a test and a shell) so only one downloads, formats
 * and starts the broker. A lock left by a dead process is taken over.
 */
async function withStateLock<T>(work: () => Promise<T>, timeoutMs = 180_000): Promise<T> {
  const { stateDir } = kafkaPaths();
  fs.mkdirSync(stateDir, { recursive: true });
  const lock = path.join(stateDir, 'infra.lock');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      fs.writeFileSync(lock, String(process.pid), { flag: 'wx' });
      break;
    } catch {
      const holder = Number(fs.readFileSync(lock, 'utf8').trim() || '0');
      let alive = false;
      try {
        process.kill(holder, 0);
        alive = holder > 0;
      } catch {
        alive = false;
      }
      if (!alive) {
        fs.rmSync(lock, { force: true });
        continue;
      }
      if (Date.now() > deadline)
        throw new Error(`infra lock ${lock} held by pid ${holder} for too long`);
      await new Promise((r) => setTimeout(r, 300));
    }
  }
  try {
    return await work();
  } finally {
    fs.rmSync(lock, { force: true });
  }
}

/** Brings Kafka, Postgres (with the project database) and all topics up. Idempotent and fast when up. */
export async function ensureInfrastructure(): Promise<InfrastructureHandle> {
  return withStateLock(async () => {
    const external = configuredBrokers();
    const brokers = external ?? LOCAL_BROKERS;
    let startedBroker = false;
    const kafkaReady = (async () => {
      if (external) {
        if (!(await brokerAnswers(external, 5000))) {
          throw new Error(
            `KAFKA_BROKERS=${external.join(',')} does not answer (no local broker is started when it is set)`,
          );
        }
      } else {
        startedBroker = await startLocalBroker();
      }
      await ensureTopics(brokers);
    })();
    // Kafka and Postgres come up side by side; the JVM start is the slow part.
    await Promise.all([kafkaReady, ensurePostgres()]);
    return { brokers, startedBroker, databaseUrl: databaseUrl() };
  });
}

/** Stops the local broker if this tooling started one. Postgres is a system service and stays up. */
export async function stopInfrastructure(): Promise<'stopped' | 'not-running'> {
  return stopLocalBroker();
}

export interface InfrastructureStatus {
  kafka: { brokers: string[]; answers: boolean; managedPid?: number; external: boolean };
  postgres: { url: string; answers: boolean; databaseExists: boolean };
  topics: { name: string; expectedPartitions: number; partitions?: number }[];
  healthy: boolean;
}

export async function infrastructureStatus(): Promise<InfrastructureStatus> {
  const external = configuredBrokers();
  const brokers = external ?? LOCAL_BROKERS;
  const url = databaseUrl();
  const [kafkaUp, pgUp, dbExists] = await Promise.all([
    brokerAnswers(brokers),
    postgresAnswers(url),
    databaseExists(url),
  ]);
  const topics: InfrastructureStatus['topics'] = Object.entries(TOPIC_PARTITIONS).map(
    ([name, n]) => ({
      name,
      expectedPartitions: n,
    }),
  );
  if (kafkaUp) {
    const client = admin(brokers);
    await client.connect();
    try {
      const existing = new Set(await client.listTopics());
      const present = topics.filter((t) => existing.has(t.name)).map((t) => t.name);
      const meta = present.length
        ? await client.fetchTopicMetadata({ topics: present })
        : { topics: [] };
      for (const t of meta.topics) {
        const row = topics.find((r) => r.name === t.name);
        if (row) row.partitions = t.partitions.length;
      }
    } finally {
      await client.disconnect();
    }
  }
  const topicsOk = topics.every(
    (t) => t.partitions !== undefined && t.partitions >= t.expectedPartitions,
  );
  return {
    kafka: {
      brokers,
      answers: kafkaUp,
      managedPid: external ? undefined : runningBrokerPid(),
      external: !!external,
    },
    postgres: { url: redactUrl(url), answers: pgUp, databaseExists: dbExists },
    topics,
    healthy: kafkaUp && pgUp && dbExists && topicsOk,
  };
}

function printStatus(s: InfrastructureStatus): void {
  const paths = kafkaPaths();
  const mark = (ok: boolean) => (ok ? 'up  ' : 'DOWN');
  const who = s.kafka.external
    ? 'external (KAFKA_BROKERS)'
    : s.kafka.managedPid
      ? `local Kafka ${KAFKA_VERSION}, pid ${s.kafka.managedPid}, log ${paths.logFile}`
      : s.kafka.answers
        ? 'answering, not started by infra:up'
        : 'not running';
  console.log(`kafka     ${mark(s.kafka.answers)} ${s.kafka.brokers.join(',')}  (${who})`);
  console.log(
    `postgres  ${mark(s.postgres.answers)} ${s.postgres.url}  (database ${s.postgres.databaseExists ? 'exists' : 'MISSING'})`,
  );
  for (const t of s.topics) {
    const ok = t.partitions !== undefined && t.partitions >= t.expectedPartitions;
    const have = t.partitions === undefined ? 'missing' : `${t.partitions} partitions`;
    console.log(`topic     ${mark(ok)} ${t.name}  (${have}, expected ${t.expectedPartitions})`);
  }
}

/** Exit codes: 0 success / healthy; 1 failure; 2 usage; 3 status found something down. */
async function main(argv: string[]): Promise<number> {
  const command = argv[0];
  switch (command) {
    case 'up': {
      const started = Date.now();
      const handle = await ensureInfrastructure();
      console.log(
        `infrastructure up in ${((Date.now() - started) / 1000).toFixed(1)}s: KAFKA_BROKERS=${handle.brokers.join(',')} ` +
          `DATABASE_URL=${redactUrl(handle.databaseUrl)}`,
      );
      return 0;
    }
    case 'down': {
      if (configuredBrokers())
        console.log('KAFKA_BROKERS is set: only a broker started by infra:up is stopped');
      const result = await stopInfrastructure();
      console.log(
        result === 'stopped' ? 'Kafka stopped' : 'no Kafka started by infra:up is running',
      );
      return 0;
    }
    case 'status': {
      const status = await infrastructureStatus();
      printStatus(status);
      return status.healthy ? 0 : 3;
    }
    default:
      console.error('usage: infra <up|down|status>');
      return 2;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: Error) => {
      console.error(`[infra] ${err.message}`);
      process.exit(1);
    },
  );
}
