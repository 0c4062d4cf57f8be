import { randomUUID } from 'node:crypto';
import type { Consumer, Producer } from 'kafkajs';
import { COMMAND_TYPES, EVENT_TYPES, createCommand } from '@issuing-bridge/contracts';
import { kafka, type BenchTopics } from './environment';
import { ProgressBar } from './progress';
import { summarize, type LatencySummary } from './stats';

/** Events that end a command (success or failure); other events (status changes) are not terminal. */
const TERMINAL_EVENTS = new Set<string>([
  EVENT_TYPES.cardholderKycApplied,
  EVENT_TYPES.cardholderKycApplyFailed,
  EVENT_TYPES.cardApplied,
  EVENT_TYPES.cardApplyFailed,
  EVENT_TYPES.cardStatusUpdated,
  EVENT_TYPES.cardStatusUpdateFailed,
  EVENT_TYPES.commandRejected,
]);

export interface OutgoingCommand {
  topic: string;
  key: string;
  id: string;
  type: string;
  value: string;
}

interface ParsedEvent {
  id?: string;
  type: string;
  causationid?: string;
  subject?: string;
  data?: Record<string, unknown>;
}

/** Reads the bench's event topics and resolves commands when their terminal event arrives. */
export class EventCollector {
  private consumer?: Consumer;
  private readonly pending = new Map<string, { sentAt: number; type: string }>();
  private readonly finished: { latencyMs: number; at: number; type: string; outcome: string }[] = [];
  private readonly listeners = new Set<(e: ParsedEvent) => void>();
  private waiters: (() => void)[] = [];

  /** `echo`: the records are the commands themselves (the ceiling's relay), matched by their own id. */
  constructor(
    private readonly topics: string[],
    private readonly groupId: string,
    private readonly echo = false,
  ) {}

  async start(): Promise<void> {
    this.consumer = kafka.consumer({ groupId: this.groupId, maxWaitTimeInMs: 50 });
    await this.consumer.connect();
    for (const topic of this.topics) await this.consumer.subscribe({ topic, fromBeginning: true });
    const joined = new Promise<void>((resolve) => this.consumer!.on(this.consumer!.events.GROUP_JOIN, () => resolve()));
    await this.consumer.run({
      partitionsConsumedConcurrently: 6,
      eachBatch: async ({ batch }) => {
        const at = Date.now();
        for (const m of batch.messages) {
          if (!m.value) continue;
          let e: ParsedEvent;
          try {
            e = JSON.parse(m.value.toString()) as ParsedEvent;
          } catch {
            continue;
          }
          this.listeners.forEach((l) => l(e));
          const commandId = this.echo ? e.id : TERMINAL_EVENTS.has(e.type) ? e.causationid : undefined;
          if (!commandId) continue;
          const p = this.pending.get(commandId);
          if (!p) continue;
          this.pending.delete(commandId);
          this.finished.push({ latencyMs: at - p.sentAt, at, type: p.type, outcome: e.type });
        }
        if (this.pending.size === 0) this.waiters.splice(0).forEach((w) => w());
      },
    });
    await joined;
  }

  onEvent(listener: (e: ParsedEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  expect(id: string, type: string, sentAt: number): void {
    this.pending.set(id, { sentAt, type });
  }

  get outstanding(): number {
    return this.pending.size;
  }

  get completed(): number {
    return this.finished.length;
  }

  /** Waits until nothing is pending or the timeout passes (then the rest count as lost). */
  async drain(timeoutMs: number): Promise<void> {
    if (this.pending.size === 0) return;
    await Promise.race([
      new Promise<void>((r) => this.waiters.push(r)),
      new Promise<void>((r) => setTimeout(r, timeoutMs).unref()),
    ]);
  }

  /** Takes the results so far and forgets the pending ones. */
  take(): { finished: { latencyMs: number; at: number; type: string; outcome: string }[]; lost: number } {
    const finished = this.finished.splice(0);
    const lost = this.pending.size;
    this.pending.clear();
    return { finished, lost };
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
  }
}

export async function connectProducer(): Promise<Producer> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  return producer;
}

/** Sends commands in batches grouped by topic. */
async function sendBatch(producer: Producer, commands: OutgoingCommand[]): Promise<void> {
  const byTopic = new Map<string, OutgoingCommand[]>();
  for (const c of commands) byTopic.set(c.topic, [...(byTopic.get(c.topic) ?? []), c]);
  const topicMessages = [...byTopic].map(([topic, list]) => ({
    topic,
    messages: list.map((c) => ({ key: c.key, value: c.value })),
  }));
  // A freshly created topic can briefly be unknown to a busy broker; kafkajs gives up quickly on it.
  for (let attempt = 1; ; attempt++) {
    try {
      await producer.sendBatch({ topicMessages });
      return;
    } catch (e) {
      if (attempt >= 5 || !/does not host this topic-partition|not the leader/i.test(String((e as Error).message))) throw e;
      await new Promise((r) => setTimeout(r, 500 * attempt));
    }
  }
}

export interface RunResult {
  label: string;
  rate: number | 'max';
  sent: number;
  completed: number;
  lost: number;
  durationSeconds: number;
  /** Terminal events per second, first send to last terminal event. */
  throughput: number;
  latencyMs: LatencySummary;
  outcomes: Record<string, number>;
}

/**
 * Publishes `commands` as fast as possible (`rate` = 'max') or at a fixed rate, and measures command →
 * terminal event. At a fixed rate, latency starts at the command's scheduled time (no coordinated omission).
 */
export async function runLoad(
  label: string,
  producer: Producer,
  collector: EventCollector,
  commands: OutgoingCommand[],
  rate: number | 'max',
  drainTimeoutMs = 60_000,
): Promise<RunResult> {
  const bar = new ProgressBar(label, commands.length);
  const ticker = setInterval(() => bar.update(collector.completed, `in flight ${collector.outstanding}`), 200);
  const start = Date.now();
  if (rate === 'max') {
    const chunk = 500;
    for (let i = 0; i < commands.length; i += chunk) {
      const part = commands.slice(i, i + chunk);
      const now = Date.now();
      part.forEach((c) => collector.expect(c.id, c.type, now));
      await sendBatch(producer, part);
    }
  } else {
    let next = 0;
    while (next < commands.length) {
      const due = Math.min(commands.length, Math.floor(((Date.now() - start) / 1000) * rate) + 1);
      if (due > next) {
        const part = commands.slice(next, due);
        part.forEach((c, j) => collector.expect(c.id, c.type, start + ((next + j) / rate) * 1000));
        next = due;
        await sendBatch(producer, part);
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  }
  await collector.drain(drainTimeoutMs);
  clearInterval(ticker);
  bar.update(collector.completed);
  bar.done();
  const { finished, lost } = collector.take();
  const end = finished.length ? Math.max(...finished.map((f) => f.at)) : Date.now();
  const durationSeconds = (end - start) / 1000;
  const outcomes: Record<string, number> = {};
  for (const f of finished) outcomes[f.outcome] = (outcomes[f.outcome] ?? 0) + 1;
  return {
    label,
    rate,
    sent: commands.length,
    completed: finished.length,
    lost,
    durationSeconds: Math.round(durationSeconds * 100) / 100,
    throughput: Math.round(finished.length / Math.max(durationSeconds, 0.001)),
    latencyMs: summarize(finished.map((f) => f.latencyMs)),
    outcomes,
  };
}

const SOURCE = 'issuing-bridge-bench';

function encode(topic: string, command: { id: string; type: string; subject: string }): OutgoingCommand {
  return { topic, key: command.subject, id: command.id, type: command.type, value: JSON.stringify(command) };
}

/** A KYC apply that creates a new cardholder (unique key per command). */
export function kycApply(topics: BenchTopics, run: string, i: number): OutgoingCommand {
  return encode(
    topics.cardholderCommands,
    createCommand({
      type: COMMAND_TYPES.cardholderKycApply,
      source: SOURCE,
      data: { cardholder_unique_no: `B${run}H${i}`, sumsub_share_token: `bench-token-${i}` },
    }),
  );
}

export function cardApply(topics: BenchTopics, run: string, i: number, cardholderNo: string): OutgoingCommand {
  return encode(
    topics.cardCommands,
    createCommand({
      type: COMMAND_TYPES.cardApply,
      source: SOURCE,
      data: { card_unique_no: `B${run}C${i}`, cardholder_no: cardholderNo, card_type: 'Virtual', package_no: 'PKG_VIRTUAL_001' },
    }),
  );
}

export function cardStatusUpdate(topics: BenchTopics, cardUniqueNo: string, action: 'freeze' | 'unfreeze'): OutgoingCommand {
  return encode(
    topics.cardCommands,
    createCommand({ type: COMMAND_TYPES.cardStatusUpdate, source: SOURCE, data: { card_unique_no: cardUniqueNo, action } }),
  );
}

/** Activated virtual cards (and their cardholders) the mixed workload updates. */
export interface CardPool {
  cardholderNos: string[];
  cardUniqueNos: string[];
}

/**
 * Creates `size` cardholders, then one virtual card each, and waits until card-svc reports them
 * Activated (issuance poller). Not measured.
 */
export async function prepareCardPool(
  topics: BenchTopics,
  producer: Producer,
  collector: EventCollector,
  run: string,
  size: number,
  activationTimeoutMs = 30_000,
): Promise<CardPool> {
  const cardholderNos: string[] = [];
  const activated = new Set<string>();
  const off = collector.onEvent((e) => {
    if (e.type === EVENT_TYPES.cardholderKycApplied && typeof e.data?.cardholder_no === 'string') {
      cardholderNos.push(e.data.cardholder_no);
    }
    if (e.type === EVENT_TYPES.cardStatusChanged && e.data?.after === 'Activated' && e.subject) {
      activated.add(e.subject);
    }
  });
  try {
    const holders = Array.from({ length: size }, (_, i) => kycApply(topics, `${run}P`, i));
    await runLoad('setup: cardholders', producer, collector, holders, 'max', 60_000);
    await new Promise((r) => setTimeout(r, 500)); // sandbox KYC: Pending → Approved after 2 × 50 ms
    const cards = cardholderNos.map((no, i) => cardApply(topics, `${run}P`, i, no));
    await runLoad('setup: cards', producer, collector, cards, 'max', 60_000);
    const deadline = Date.now() + activationTimeoutMs;
    while (activated.size < cards.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  } finally {
    off();
  }
  return { cardholderNos, cardUniqueNos: [...activated] };
}

/** Mixed commands: a third KYC applies, a third card applies, a third freeze/unfreeze of pool cards. */
export function mixedCommands(topics: BenchTopics, pool: CardPool, run: string, n: number): OutgoingCommand[] {
  const frozen = new Set<string>();
  const out: OutgoingCommand[] = [];
  for (let i = 0; i < n; i++) {
    const kind = pool.cardUniqueNos.length === 0 ? i % 2 : i % 3;
    if (kind === 0) out.push(kycApply(topics, run, i));
    else if (kind === 1 && pool.cardholderNos.length > 0)
      out.push(cardApply(topics, run, i, pool.cardholderNos[i % pool.cardholderNos.length]!));
    else if (kind === 2) {
      const card = pool.cardUniqueNos[i % pool.cardUniqueNos.length]!;
      const action = frozen.has(card) ? 'unfreeze' : 'freeze';
      if (action === 'freeze') frozen.add(card);
      else frozen.delete(card);
      out.push(cardStatusUpdate(topics, card, action));
    } else out.push(kycApply(topics, run, i));
  }
  return out;
}

export function kycCommands(topics: BenchTopics, run: string, n: number): OutgoingCommand[] {
  return Array.from({ length: n }, (_, i) => kycApply(topics, run, i));
}

export const newRunId = (): string => randomUUID().slice(0, 8);
