/**
 * The setup the engine's integration tests share, so each test file states only what it tests:
 * throwaway topics and schema named after the file, a collector on the topics it reads, and (for the
 * engine) a producer and instances of the transport running the test handlers. Teardown stops every
 * instance and client and drops the schema and topics.
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { NestFactory } from '@nestjs/core';
import type { INestMicroservice } from '@nestjs/common';
import type { Consumer, Producer } from 'kafkajs';
import type { DataSource } from 'typeorm';
import { KafkaCommandTransport, type KafkaCommandTransportOptions } from '../src';
import {
  collect,
  createSchemaDataSource,
  createTopics,
  deleteTopics,
  dropSchema,
  parseTestCommand,
  testKafka,
  testRejection,
  until,
  type Received,
} from './harness';
import { probe, TestHandlersModule } from './test-handlers';

export type TopicRole = 'commands' | 'events' | 'dlq';

export interface MessagingRigOptions {
  /** Partitions of each topic the file uses; only these topics are created. */
  partitions: Partial<Record<TopicRole, number>>;
  /** Topics whose records `received` collects (from the beginning). */
  collect: TopicRole[];
}

/** A Postgres schema with the messaging tables, topics of this file only, and a collector. */
export class MessagingRig {
  readonly suffix = randomUUID().slice(0, 8);
  readonly schema: string;
  readonly topics: Record<TopicRole, string>;
  readonly groupId: string;
  readonly kafka = testKafka();
  private dataSource?: DataSource;
  private collector?: { consumer: Consumer; received: Received[] };

  /** `name` (letters only) tells this file's schema, topics and consumer group from other files'. */
  constructor(
    name: string,
    private readonly options: MessagingRigOptions,
  ) {
    this.schema = `msg_${name}_${this.suffix}`;
    const base = `it.${name}.${this.suffix}`;
    this.topics = { commands: `${base}.commands`, events: `${base}.events`, dlq: `${base}.commands.dlq` };
    this.groupId = `it-${name}-${this.suffix}`;
  }

  get ds(): DataSource {
    return started(this.dataSource, 'ds');
  }

  /** Everything published on the collected topics so far. */
  get received(): Received[] {
    return started(this.collector, 'received').received;
  }

  async start(): Promise<void> {
    await createTopics(this.kafka, this.created().map((role) => ({ topic: this.topics[role], numPartitions: this.options.partitions[role]! })));
    this.dataSource = await createSchemaDataSource(this.schema);
    this.collector = await collect(this.kafka, this.options.collect.map((role) => this.topics[role]));
  }

  async stop(): Promise<void> {
    await this.collector?.consumer.disconnect();
    if (this.dataSource) await dropSchema(this.dataSource, this.schema);
    await deleteTopics(this.kafka, this.created().map((role) => this.topics[role]));
  }

  private created(): TopicRole[] {
    return (Object.keys(this.options.partitions) as TopicRole[]).filter((role) => this.options.partitions[role] !== undefined);
  }
}

export interface EngineInstance {
  app: INestMicroservice;
  transport: KafkaCommandTransport;
}

/**
 * MessagingRig plus what the engine tests drive: a `test_state` table the test handlers write to, a
 * producer for commands, and transport instances (one consumer group) running the test handlers.
 */
export class EngineRig extends MessagingRig {
  readonly instances: EngineInstance[] = [];
  private commandProducer?: Producer;

  /** `transport`: this file's settings over the shared ones (topics, group, test parser, 50 ms commits). */
  constructor(
    name: string,
    options: { partitions: { commands: number; events: number }; collect: TopicRole[] },
    private readonly transport: Partial<KafkaCommandTransportOptions> = {},
  ) {
    super(name, { ...options, partitions: { ...options.partitions, dlq: 1 } });
  }

  get producer(): Producer {
    return started(this.commandProducer, 'producer');
  }

  override async start(): Promise<void> {
    await super.start();
    await this.ds.query(`CREATE TABLE "${this.schema}".test_state (key text NOT NULL, seq int NOT NULL)`);
    probe.reset();
    probe.schema = this.schema;
    this.commandProducer = this.kafka.producer();
    await this.commandProducer.connect();
  }

  /** Starts one more instance of the group; with `untilReady`, waits for its partition assignment. */
  async startInstance({ untilReady = false } = {}): Promise<EngineInstance> {
    const transport = new KafkaCommandTransport({
      dataSource: this.ds,
      topic: this.topics.commands,
      eventsTopic: this.topics.events,
      dlqTopic: this.topics.dlq,
      groupId: this.groupId,
      source: 'it',
      parseCommand: parseTestCommand,
      rejectionEventFor: testRejection,
      commitIntervalMs: 50,
      ...this.transport,
    });
    const app = await NestFactory.createMicroservice(TestHandlersModule, { strategy: transport, logger: false });
    const instance = { app, transport };
    this.instances.push(instance);
    await app.listen();
    if (untilReady) await until(() => transport.isReady(), 30_000, 'partition assignment');
    return instance;
  }

  override async stop(): Promise<void> {
    for (const { app } of this.instances) await app.close().catch(() => undefined); // a test may have closed it
    await this.commandProducer?.disconnect();
    await super.stop();
  }
}

function started<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`${what} is set by start(): call it in beforeAll`);
  return value;
}
