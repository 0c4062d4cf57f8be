/** Test rig for card-svc: own database, own topics, in-process sandbox, a callback relay standing in for the gateway. */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';
import { Client } from 'pg';
import { EVENT_TYPES, createCommand, createEvent, type CommandType } from '@issuing-bridge/contracts';
import { KeySecureClient, verifyKeySecureCallback } from '@issuing-bridge/keysecure';
import { startKeySecureSandbox, type RunningSandbox } from '../../keysecure-sandbox/src/sandbox';
import { ensureDatabase, REPO_ROOT, startService, TEST_DATABASE_URL, waitFor, type ServiceProcess } from '../../../test/support';

export const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');

export interface Received {
  topic: string;
  key: string | null;
  value: Record<string, unknown> & { id: string; type: string; causationid?: string; subject?: string; data: Record<string, unknown> };
}

export class CardSvcRig {
  readonly suffix = randomUUID().slice(0, 8);
  readonly databaseUrl: string;
  readonly topics = {
    commands: `it.card-svc.${this.suffix}.commands`,
    events: `it.card-svc.${this.suffix}.events`,
    dlq: `it.card-svc.${this.suffix}.commands.dlq`,
    callbacks: `it.card-svc.${this.suffix}.callbacks`,
  };
  readonly kafka = new Kafka({ clientId: `it-card-svc-${this.suffix}`, brokers, logLevel: logLevel.NOTHING });
  sandbox!: RunningSandbox;
  ks!: KeySecureClient;
  service?: ServiceProcess;
  /** Output of every service process this rig started (for the log leak scan). */
  readonly logs: string[] = [];
  readonly received: Received[] = [];
  private producer!: Producer;
  private collector!: Consumer;
  private relay!: Server;
  /** While false, verified callbacks are held instead of published (the gateway being slow). */
  callbacksFlowing = true;
  private held: Array<Record<string, unknown>> = [];
  publishedCallbacks = 0;
  get heldCallbacks(): number {
    return this.held.length;
  }

  constructor() {
    const url = new URL(TEST_DATABASE_URL);
    url.pathname = `/ib_card_it_${this.suffix}`;
    this.databaseUrl = url.toString();
  }

  /** `cardIssueDelayMs`: how long the sandbox keeps a new card Pending (longer under load-sensitive tests). */
  async start(sandbox: { cardIssueDelayMs?: number } = {}): Promise<void> {
    await ensureDatabase(this.databaseUrl);
    const admin = this.kafka.admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic: this.topics.commands, numPartitions: 3 },
        { topic: this.topics.events, numPartitions: 3 },
        { topic: this.topics.dlq, numPartitions: 1 },
        { topic: this.topics.callbacks, numPartitions: 2 },
      ],
    });
    await admin.disconnect();
    this.producer = this.kafka.producer({ allowAutoTopicCreation: false });
    await this.producer.connect();
    this.collector = this.kafka.consumer({ groupId: `it-card-svc-collector-${this.suffix}` });
    await this.collector.connect();
    await this.collector.subscribe({ topics: [this.topics.events, this.topics.dlq], fromBeginning: true });
    await this.collector.run({
      eachMessage: async ({ topic, message }) => {
        try {
          this.received.push({ topic, key: message.key?.toString() ?? null, value: JSON.parse(message.value!.toString()) });
        } catch {
          /* DLQ copies are raw commands; always JSON here */
        }
      },
    });
    this.relay = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const verified = verifyKeySecureCallback(raw, req.headers as Record<string, string>, {
          apiSecret: this.sandbox.options.apiSecret,
          appId: this.sandbox.options.appId,
        });
        if (!verified.valid) {
          res.writeHead(401).end();
          return;
        }
        const body = JSON.parse(raw) as Record<string, unknown>;
        if (this.callbacksFlowing) void this.publishCallback(body);
        else this.held.push(body);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"code":0,"msg":"Success"}');
      });
    });
    await new Promise<void>((r) => this.relay.listen(0, '127.0.0.1', r));
    const relayPort = (this.relay.address() as AddressInfo).port;
    this.sandbox = await startKeySecureSandbox({
      cardIssueDelayMs: sandbox.cardIssueDelayMs ?? 400,
      kycStepDelayMs: 50,
      callbackUrl: `http://127.0.0.1:${relayPort}/callbacks/keysecure`,
      callbackRetryBaseMs: 100,
      callbackRetryMaxMs: 500,
    });
    this.ks = new KeySecureClient({ baseUrl: this.sandbox.url, apiKey: this.sandbox.options.apiKey, apiSecret: this.sandbox.options.apiSecret });
  }

  async publishCallback(body: Record<string, unknown>): Promise<void> {
    const data = body.data as Record<string, unknown>;
    const event = createEvent({
      type: EVENT_TYPES.keysecureCallbackReceived,
      source: 'urn:issuing-bridge:test-gateway',
      subject: String(data.card_no ?? body.id),
      data: body as { id: string; action: string; data: Record<string, unknown> },
    });
    await this.producer.send({ topic: this.topics.callbacks, messages: [{ key: String(data.card_no ?? body.id), value: JSON.stringify(event) }] });
    this.publishedCallbacks++;
  }

  /** Publishes the callbacks held while `callbacksFlowing` was false. */
  async releaseCallbacks(): Promise<number> {
    const held = this.held.splice(0);
    this.callbacksFlowing = true;
    await Promise.all(held.map((b) => this.publishCallback(b)));
    return held.length;
  }

  serviceEnv(extra: Record<string, string> = {}): Record<string, string> {
    return {
      DATABASE_URL: this.databaseUrl,
      KEYSECURE_BASE_URL: this.sandbox.url,
      CARD_COMMANDS_TOPIC: this.topics.commands,
      CARD_EVENTS_TOPIC: this.topics.events,
      CARD_COMMANDS_DLQ_TOPIC: this.topics.dlq,
      KEYSECURE_CALLBACKS_TOPIC: this.topics.callbacks,
      CARD_COMMAND_GROUP_ID: `it-card-svc-${this.suffix}`,
      CARD_CALLBACK_GROUP_ID: `it-card-svc-callbacks-${this.suffix}`,
      CARD_ISSUANCE_POLL_INTERVAL_MS: '200',
      CARD_ISSUANCE_BACKOFF_START_MS: '300',
      CARD_ISSUANCE_BACKOFF_MAX_MS: '2000',
      CARD_RECONCILE_INTERVAL_MS: '0',
      CARD_COMMAND_DEADLINE_MS: '20000',
      LOG_LEVEL: 'debug',
      ...extra,
    };
  }

  async startService(extra: Record<string, string> = {}): Promise<ServiceProcess> {
    const service = await startService('card-svc', { env: this.serviceEnv(extra), readyTimeoutMs: 90_000 });
    this.service = service;
    return service;
  }

  /** Stops the service and keeps its output. */
  async stopService(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | NodeJS.Signals | undefined> {
    const service = this.service;
    if (!service) return undefined;
    this.service = undefined;
    const code = await service.stop(signal);
    const { stdout, stderr } = service.output();
    this.logs.push(stdout, stderr);
    return code;
  }

  async send<T extends CommandType>(type: T, data: Record<string, unknown>): Promise<string> {
    const command = createCommand({ type, source: 'urn:issuing-bridge:it', data: data as never });
    await this.producer.send({
      topic: this.topics.commands,
      messages: [{ key: String(command.subject), value: JSON.stringify(command), headers: { 'content-type': 'application/cloudevents+json' } }],
    });
    return command.id;
  }

  eventsFor(commandId: string): Received[] {
    return this.received.filter((r) => r.value.causationid === commandId);
  }

  statusChanges(cardUniqueNo: string): Received[] {
    return this.received.filter((r) => r.value.type === EVENT_TYPES.cardStatusChanged && r.value.subject === cardUniqueNo);
  }

  /** Waits for the result event of a command (any event with causationid = id other than status_changed). */
  async result(commandId: string, timeoutMs = 30_000): Promise<Received> {
    return waitFor(() => this.eventsFor(commandId).find((e) => e.value.type !== EVENT_TYPES.cardStatusChanged), {
      timeoutMs,
      intervalMs: 100,
      description: `result event of command ${commandId}`,
    });
  }

  async waitStatus(cardUniqueNo: string, after: string, timeoutMs = 30_000): Promise<Received> {
    return waitFor(() => this.statusChanges(cardUniqueNo).find((e) => e.value.data.after === after), {
      timeoutMs,
      intervalMs: 100,
      description: `card.status_changed to ${after} for ${cardUniqueNo}`,
    });
  }

  /** A KYC-approved cardholder at the sandbox. */
  async approvedCardholder(): Promise<string> {
    const { cardholder_no } = await this.ks.applyCardholder({ cardholder_unique_no: `CH_${randomUUID()}`, sumsub_share_token: 'share-token-ok' });
    this.sandbox.setKycStatus(cardholder_no, 'Approved');
    return cardholder_no;
  }

  async query<R extends Record<string, unknown> = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<R[]> {
    const client = new Client({ connectionString: this.databaseUrl });
    await client.connect();
    try {
      return (await client.query<R>(sql, params)).rows;
    } finally {
      await client.end();
    }
  }

  async reconcile(): Promise<Record<string, unknown>> {
    const response = await fetch(`${this.service!.baseUrl}/admin/reconciliation/run`, { method: 'POST' });
    expect(response.status).toBe(200);
    return (await response.json()) as Record<string, unknown>;
  }

  async stop(): Promise<void> {
    await this.stopService('SIGKILL').catch(() => undefined);
    await this.collector?.disconnect().catch(() => undefined);
    await this.producer?.disconnect().catch(() => undefined);
    await this.ks?.close().catch(() => undefined);
    await this.sandbox?.close().catch(() => undefined);
    await new Promise((r) => (this.relay ? this.relay.close(r) : r(undefined)));
    const admin = this.kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: Object.values(this.topics) }).catch(() => undefined);
    await admin.disconnect();
    const url = new URL(this.databaseUrl);
    const name = url.pathname.slice(1);
    url.pathname = '/postgres';
    const client = new Client({ connectionString: url.toString() });
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).catch(() => undefined);
    await client.end();
  }
}

/**
 * Seals secrets with the development public key in a Node child: jose is ESM-only and jest's CJS
 * runtime cannot load it (see libs/contracts README).
 */
export function sealAll(values: string[]): Record<string, string> {
  const script = `
    const { sealSecret, loadDevKeyPair } = require('./libs/contracts/src');
    const values = JSON.parse(process.argv[1]);
    const { publicKeyPem } = loadDevKeyPair();
    Promise.all(values.map((v) => sealSecret(v, publicKeyPem))).then((sealed) => {
      process.stdout.write(JSON.stringify(Object.fromEntries(values.map((v, i) => [v, sealed[i]]))));
    });`;
  const out = execFileSync(process.execPath, ['-r', '@swc-node/register', '-e', script, JSON.stringify(values)], { cwd: REPO_ROOT, encoding: 'utf8' });
  return JSON.parse(out) as Record<string, string>;
}
