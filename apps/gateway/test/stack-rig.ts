import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import type { TopicName } from '@issuing-bridge/contracts';
import {
  ensureDatabase,
  isolatedKafka,
  queryDatabase,
  startService,
  TEST_DATABASE_URL,
  waitFor,
  type IsolatedKafka,
  type ServiceProcess,
} from '../../../test/support';
import { call } from './support/http';
import { TopicTap } from './support/topic-tap';

export interface StackRigOptions {
  /** Apps whose topics and consumer groups belong to this run only (shared by these apps). */
  isolate?: string[];
  /** A database of this run (dropped at the end) instead of the shared one. */
  ownDatabase?: boolean;
  /** More to show when `until` times out (e.g. a sandbox's state). */
  diagnose?: () => string;
}

/**
 * The setup the gateway's HTTP tests share, so each test file states only what it tests: services
 * spawned as deployed (main.ts) on this run's topics, consumer groups and database, a tap on the
 * topics the test reads, and a teardown that stops every process and removes what the run created.
 */
export class StackRig {
  readonly run = randomUUID().slice(0, 8);
  readonly tap = new TopicTap();
  readonly services: ServiceProcess[] = [];
  /** Accepted by the stack's gateway (`api` sends it). */
  readonly apiKey: string;
  readonly databaseUrl: string;
  private readonly databaseName?: string;
  private readonly isolated: Array<{ app: string; kafka: IsolatedKafka }> = [];
  private readonly closeables: Array<{ close(): Promise<unknown> }> = [];

  /** `name` (letters, digits and `_`) tells this file's topics, groups and database from other files'. */
  constructor(
    private readonly name: string,
    private readonly options: StackRigOptions = {},
  ) {
    this.apiKey = `${name}-${this.run}-api-key`;
    if (options.ownDatabase) {
      this.databaseName = `ib_${name}_${this.run}`;
      const url = new URL(TEST_DATABASE_URL);
      url.pathname = `/${this.databaseName}`;
      this.databaseUrl = url.toString();
    } else {
      this.databaseUrl = TEST_DATABASE_URL;
    }
  }

  /** Creates the database and the isolated topics, then starts the tap on `tapped`. */
  async setUp(tapped: TopicName[]): Promise<void> {
    if (this.databaseName) await ensureDatabase(this.databaseUrl);
    const suffix = `${this.name}-${this.run}`;
    for (const app of this.options.isolate ?? [])
      this.isolated.push({ app, kafka: await isolatedKafka(app, suffix) });
    // Apps isolated with one suffix share topics: a later app's call finds some of them already
    // made and does not wait for the leaders of the ones it adds, so wait for all of them here.
    if (this.isolated.length > 0) await waitForLeaders(tapped.map((t) => this.topic(t)));
    await this.tap.start(tapped.map((t) => this.topic(t)));
  }

  /** The topic the stack's apps use for a contract topic: the run's own one when they are isolated. */
  topic(contract: TopicName): string {
    if ((this.options.isolate?.length ?? 0) > this.isolated.length)
      throw new Error('the isolated topics are made by setUp(): call it in beforeAll');
    const suffix = `.${contract}`;
    for (const { kafka } of this.isolated) {
      const found = Object.values(kafka.env).find((value) => value.endsWith(suffix));
      if (found) return found;
    }
    if (this.isolated.length > 0) throw new Error(`${contract}: no app of this stack isolates it`);
    return contract;
  }

  /** The stack's gateway (the first one started). */
  get gateway(): ServiceProcess {
    const gateway = this.services.find((s) => s.app === 'gateway');
    if (!gateway) throw new Error('no gateway started in this stack');
    return gateway;
  }

  /**
   * Starts `app` (waits for /health/ready) on this run's database, topics and consumer groups, with
   * `env` over them; the gateway accepts `apiKey` unless `env` says otherwise.
   */
  async start(app: string, env: Record<string, string> = {}): Promise<ServiceProcess> {
    const service = await startService(app, {
      env: {
        DATABASE_URL: this.databaseUrl,
        ...(app === 'gateway' && {
          GATEWAY_API_KEYS: `${this.name}:${this.apiKey}`,
          GATEWAY_READ_MODEL_GROUP: `gateway-test-${this.name}-${this.run}`,
        }),
        ...this.isolated.find((i) => i.app === app)?.kafka.env,
        ...env,
      },
    });
    this.services.push(service);
    return service;
  }

  /** Closes `resource` (e.g. a sandbox) at teardown, after the services have stopped. */
  own<T extends { close(): Promise<unknown> }>(resource: T): T {
    this.closeables.push(resource);
    return resource;
  }

  /** A request to the gateway with the stack's API key. */
  readonly api = (method: string, path: string, body?: unknown) =>
    call(this.gateway.baseUrl, method, path, {
      headers: { authorization: `Bearer ${this.apiKey}` },
      body,
    });

  /** Polls for 60 s; on a timeout, the records seen and each service's last lines say which hop stopped. */
  readonly until = <R>(description: string, probe: () => Promise<R | undefined>): Promise<R> =>
    waitFor(probe, { timeoutMs: 60_000, intervalMs: 300, description }).catch((error: Error) => {
      throw new Error(`${error.message}\n${this.diagnosis()}`);
    });

  /** Waits until GET `path` answers 200 with `field` equal to `value`; returns the body. */
  readonly get = (path: string, field: string, value: string) =>
    this.until(`${path} ${field}=${value}`, async () => {
      const r = await this.api('GET', path);
      return r.status === 200 && r.body[field] === value ? r.body : undefined;
    });

  async tearDown(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    for (const s of this.services) s.child.kill('SIGCONT'); // in case a test failed while one was paused
    await Promise.all(this.services.map((s) => s.stop(signal, 15_000)));
    for (const resource of this.closeables) await resource.close();
    await this.tap.stop();
    for (const { kafka } of this.isolated) await kafka.cleanup().catch(() => undefined);
    if (this.databaseName)
      await queryDatabase(`DROP DATABASE IF EXISTS "${this.databaseName}" WITH (FORCE)`);
  }

  private diagnosis(): string {
    const seen = this.tap.records
      .map((r) => `${r.topic} ${String(r.json.type)} ${JSON.stringify(r.json.data).slice(0, 300)}`)
      .join('\n');
    const tails = this.services
      .map(
        (s) =>
          `--- ${s.app}\n${(s.output().stdout + s.output().stderr)
            .split('\n')
            .filter((line) => !line.includes('"level":30') && !line.includes('KycPoller'))
            .slice(-15)
            .join('\n')}`,
      )
      .join('\n');
    const more = this.options.diagnose?.();
    return [`--- records\n${seen}`, ...(more ? [more] : []), tails].join('\n');
  }
}

async function waitForLeaders(topics: string[]): Promise<void> {
  const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
  const admin = new Kafka({
    brokers,
    clientId: 'gateway-test-rig',
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    await waitFor(
      async () => {
        const { topics: found } = await admin.fetchTopicMetadata({ topics });
        return found.every(
          (t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0),
        );
      },
      { timeoutMs: 30_000, intervalMs: 200, description: `leaders of ${topics.join(', ')}` },
    );
  } finally {
    await admin.disconnect();
  }
}
