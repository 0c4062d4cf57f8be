import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { parseEvent } from '@issuing-bridge/contracts';
import { KafkaJsMessageBus, type BusConsumer, type BusMessage } from '@issuing-bridge/messaging';
import {
  InjectAppConfig,
  ReadinessIndicator,
  type ReadinessCheck,
  type ReadinessState,
} from '@issuing-bridge/platform';
import type { GatewayConfig } from '../config/config.schema';
import { gatewayTopics } from '../kafka/gateway-topics';
import { ReadModelProjector } from './read-model-projector';

/**
 * Feeds the read model from cardholder.events.v1 and card.events.v1. Each message is applied before
 * its offset is committed (at-least-once; the projector is idempotent). Events that break their
 * contract are skipped with a warning: the read model must not stall on one bad record.
 */
@ReadinessIndicator()
@Injectable()
export class ReadModelConsumer implements OnApplicationBootstrap, OnModuleDestroy, ReadinessCheck {
  readonly readinessName = 'read-model-consumer';
  private readonly logger = new Logger(ReadModelConsumer.name);
  private readonly bus: KafkaJsMessageBus;
  private consumer?: BusConsumer;
  private assigned = false;
  private crashed = false;
  private retryTimer?: NodeJS.Timeout;
  private destroyed = false;

  constructor(
    @InjectAppConfig() private readonly config: GatewayConfig,
    private readonly projector: ReadModelProjector,
  ) {
    this.bus = new KafkaJsMessageBus({
      brokers: config.KAFKA_BROKERS,
      clientId: 'gateway-read-model',
    });
  }

  onApplicationBootstrap(): void {
    // Not awaited: the HTTP API starts while the group joins; readiness reports when it has.
    // After a crash the bus adapter reconnects by itself; only a failed first start is retried here.
    this.start().catch((error: Error) => this.retryStart(error));
  }

  checkReadiness(): ReadinessState {
    return {
      ready: this.assigned && !this.crashed,
      details: { assigned: this.assigned, crashed: this.crashed },
    };
  }

  private retryStart(error: Error): void {
    this.logger.error(`read model consumer failed to start, retrying in 5 s: ${error.message}`);
    const consumer = this.consumer;
    this.consumer = undefined;
    this.retryTimer = setTimeout(() => {
      void (consumer?.disconnect() ?? Promise.resolve())
        .catch(() => undefined)
        .then(() => (this.destroyed ? undefined : this.start()))
        .catch((next: Error) => this.retryStart(next));
    }, 5_000);
  }

  private async start(): Promise<void> {
    const consumer = this.bus.createConsumer({ groupId: this.config.GATEWAY_READ_MODEL_GROUP });
    this.consumer = consumer;
    consumer.onLifecycle((event) => {
      if (event.kind === 'assigned') {
        this.assigned = true;
        this.crashed = false;
      }
      if (event.kind === 'rebalancing' || event.kind === 'stop') this.assigned = false;
      if (event.kind === 'crash') {
        // Not ready until the adapter's restart has joined the group again.
        this.assigned = false;
        this.crashed = !event.restart;
      }
    });
    await consumer.connect();
    await consumer.subscribe(gatewayTopics(this.config).events, true);
    await consumer.run((message) => this.handle(consumer, message));
  }

  private async handle(consumer: BusConsumer, message: BusMessage): Promise<void> {
    const parsed = parseMessage(message);
    if (parsed.ok) {
      await this.projector.apply(parsed.event);
    } else {
      this.logger.warn(
        `skipped ${message.topic}/${message.partition}@${message.offset}: ${parsed.problem}`,
      );
    }
    await consumer.commit([
      {
        topic: message.topic,
        partition: message.partition,
        offset: (BigInt(message.offset) + 1n).toString(),
      },
    ]);
  }

  async onModuleDestroy(): Promise<void> {
    this.destroyed = true;
    clearTimeout(this.retryTimer);
    await this.consumer?.disconnect();
  }
}

function parseMessage(
  message: BusMessage,
):
  | { ok: true; event: Extract<ReturnType<typeof parseEvent>, { ok: true }>['event'] }
  | { ok: false; problem: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(message.value?.toString('utf8') ?? '');
  } catch {
    return { ok: false, problem: 'value: not JSON' };
  }
  const result = parseEvent(raw);
  if (result.ok) return { ok: true, event: result.event };
  return {
    ok: false,
    problem: result.violations.map((v) => `${v.field}: ${v.rule}`).join('; '),
  };
}
