import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { PATTERN_EXTRAS_METADATA, PATTERN_METADATA } from '@nestjs/microservices/constants';
import { InjectDataSource } from '@nestjs/typeorm';
import { KafkaCommandTransport, KafkaJsMessageBus, type MessageBus, type Outbox } from '@issuing-bridge/messaging';
import { InjectAppConfig, ReadinessIndicator, type ReadinessCheck, type ReadinessState } from '@issuing-bridge/platform';
import type { DataSource } from 'typeorm';
import type { CardholderSvcConfig } from '../config/config.schema';
import { CARDHOLDER_SVC_SOURCE } from './cardholder-events';
import { KycApplyHandler } from './kyc-apply.handler';

type HandlerMethod = (payload: unknown, ctx: unknown) => Promise<unknown>;

/**
 * Hands every `@EventPattern` method of `instance` to the transport, as Nest's microservice layer
 * would. The app is an HTTP app started by the platform's bootstrap, which offers no hook to
 * `connectMicroservice`, so the feature starts its own transport.
 */
export function registerCommandHandlers(transport: KafkaCommandTransport, instance: object): string[] {
  const patterns: string[] = [];
  const proto = Object.getPrototypeOf(instance) as Record<string, unknown>;
  for (const name of Object.getOwnPropertyNames(proto)) {
    const method = proto[name];
    if (name === 'constructor' || typeof method !== 'function') continue;
    const declared = Reflect.getMetadata(PATTERN_METADATA, method) as unknown[] | undefined;
    if (!declared) continue;
    const extras = (Reflect.getMetadata(PATTERN_EXTRAS_METADATA, method) as Record<string, unknown> | undefined) ?? {};
    const bound = (method as HandlerMethod).bind(instance);
    for (const pattern of declared) {
      transport.addHandler(pattern, (payload: unknown, ctx: unknown) => bound(payload, ctx), true, extras);
      patterns.push(String(pattern));
    }
  }
  return patterns;
}

/** The cardholder command consumer: KafkaCommandTransport on `cardholder.commands.v1` plus its outbox relay. */
@ReadinessIndicator()
@Injectable()
export class CardholderCommandConsumer implements OnApplicationBootstrap, BeforeApplicationShutdown, ReadinessCheck {
  readonly readinessName = 'cardholder-commands';
  readonly transport: KafkaCommandTransport;
  private readonly log = new Logger(CardholderCommandConsumer.name);
  private readonly topic: string;

  constructor(
    @InjectDataSource() dataSource: DataSource,
    @InjectAppConfig() private readonly config: CardholderSvcConfig,
    @Inject(KycApplyHandler) private readonly handler: KycApplyHandler,
  ) {
    this.topic = config.CARDHOLDER_COMMANDS_TOPIC;
    // The transport asks the bus for a consumer without a session timeout; add ours.
    const kafka = new KafkaJsMessageBus({ brokers: config.KAFKA_BROKERS, clientId: 'cardholder-svc' });
    const bus: MessageBus = {
      createConsumer: (options) =>
        kafka.createConsumer({ sessionTimeoutMs: config.CARDHOLDER_CONSUMER_SESSION_TIMEOUT_MS, ...options }),
      createProducer: (options) => kafka.createProducer(options),
    };
    this.transport = new KafkaCommandTransport({
      bus,
      dataSource,
      topic: config.CARDHOLDER_COMMANDS_TOPIC,
      eventsTopic: config.CARDHOLDER_EVENTS_TOPIC,
      dlqTopic: config.CARDHOLDER_COMMANDS_DLQ_TOPIC,
      groupId: config.CARDHOLDER_SVC_GROUP_ID,
      source: CARDHOLDER_SVC_SOURCE,
      maxInFlight: config.CARDHOLDER_MAX_IN_FLIGHT,
      retry: { deadlineMs: config.CARDHOLDER_COMMAND_DEADLINE_MS, maxDelayMs: config.CARDHOLDER_COMMAND_RETRY_MAX_MS },
      logger: this.log,
    });
  }

  get eventsTopic(): string {
    return this.config.CARDHOLDER_EVENTS_TOPIC;
  }

  /** Where pollers add events: rows wake this process's relay. */
  get outbox(): Outbox | undefined {
    return this.transport.relay?.outbox;
  }

  async onApplicationBootstrap(): Promise<void> {
    const patterns = registerCommandHandlers(this.transport, this.handler);
    await new Promise<void>((resolve, reject) =>
      this.transport.listen((error?: unknown) => (error ? reject(error as Error) : resolve())),
    );
    this.log.log(`consuming ${this.topic} for ${patterns.join(', ')}`);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.transport.close();
  }

  checkReadiness(): ReadinessState {
    return {
      ready: this.transport.isReady(),
      details: { alive: this.transport.isAlive(), inFlight: this.transport.inFlight },
    };
  }
}
