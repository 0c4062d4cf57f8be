import type { Consumer, Producer } from 'kafkajs';
import { kafka } from './environment';
import { connectProducer, type EventCollector } from './workload';

/**
 * The baseline's driver: what Nest's ServerKafka does with `partitionsConsumedConcurrently` = the
 * partition count (kafkajs `eachMessage`, no concurrency within a partition), put in front of the
 * real service. It reads a gate topic with the command topic's partition count, and per partition
 * forwards ONE command to the service and waits for its terminal event before taking the next. The
 * service's own engine never sees more than one command per partition, so its concurrency is the
 * partition count.
 *
 * Why not the engine's own limit (CARDHOLDER_MAX_IN_FLIGHT=1, which works since the back-pressure
 * resume fix): it allows one command at a time for the whole service, not one per partition, and
 * card-svc has no such setting. That equals Nest's ServerKafka with kafkajs' default
 * `partitionsConsumedConcurrently: 1`; this gate is ServerKafka consuming all 6 partitions at once
 * (6 in flight), the stronger and so the stricter baseline. bench/engine-limit-baseline.ts measures
 * the one-at-a-time variant on the side (see docs/benchmark.md).
 */
export class SequentialGate {
  private consumer?: Consumer;
  private producer?: Producer;
  private readonly waiters = new Map<string, () => void>();
  private off?: () => void;

  constructor(
    private readonly gateTopic: string,
    private readonly serviceTopic: (gateRecordTopic: string) => string,
    private readonly partitions: number,
    private readonly groupId: string,
    private readonly collector: EventCollector,
  ) {}

  async start(): Promise<void> {
    this.off = this.collector.onEvent((e) => {
      const done = e.causationid ? this.waiters.get(e.causationid) : undefined;
      if (done && e.type !== 'cardholder.kyc_status_changed.v1' && e.type !== 'card.status_changed.v1') done();
    });
    this.producer = await connectProducer();
    this.consumer = kafka.consumer({ groupId: this.groupId, maxWaitTimeInMs: 50 });
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.gateTopic, fromBeginning: true });
    const joined = new Promise<void>((resolve) => this.consumer!.on(this.consumer!.events.GROUP_JOIN, () => resolve()));
    await this.consumer.run({
      partitionsConsumedConcurrently: this.partitions,
      eachMessage: async ({ topic, message }) => {
        const id = (JSON.parse(message.value!.toString()) as { id: string }).id;
        const finished = new Promise<void>((resolve) => this.waiters.set(id, resolve));
        await this.producer!.send({ topic: this.serviceTopic(topic), messages: [{ key: message.key, value: message.value }] });
        await finished;
        this.waiters.delete(id);
      },
    });
    await joined;
  }

  async stop(): Promise<void> {
    this.off?.();
    this.waiters.forEach((w) => w());
    await this.consumer?.disconnect();
    await this.producer?.disconnect();
  }
}
