import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { REPLAY_HEADER } from './command-processor';

export interface DeadLetter {
  partition: number;
  offset: string;
  commandId?: string;
  reason?: string;
  originalTopic?: string;
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

export interface ReplayOptions {
  kafka: Kafka;
  /** The DLQ topic, e.g. card.commands.v1.dlq. */
  topic: string;
  /** Command ids to replay; ignored with `all`. */
  ids?: string[];
  all?: boolean;
  dryRun?: boolean;
}

/** Reads the DLQ from the start up to its current end (no committed offsets: a throwaway group). */
export async function readDeadLetters(kafka: Kafka, topic: string): Promise<DeadLetter[]> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const remaining = new Map(ends.filter((e) => BigInt(e.high) > BigInt(e.low)).map((e) => [e.partition, BigInt(e.high)]));
  const letters: DeadLetter[] = [];
  if (remaining.size === 0) return letters;
  const consumer = kafka.consumer({ groupId: `dlq-replay-${randomUUID()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const done = new Promise<void>((resolve) => {
    void consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        const high = remaining.get(partition);
        if (high === undefined || BigInt(message.offset) >= high) return;
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) if (v !== undefined) headers[k] = String(Array.isArray(v) ? v[0] : v);
        let commandId: string | undefined;
        try {
          const id = (JSON.parse(message.value?.toString('utf8') ?? '') as { id?: unknown }).id;
          commandId = typeof id === 'string' ? id : undefined;
        } catch {
          commandId = undefined;
        }
        letters.push({
          partition,
          offset: message.offset,
          commandId,
          reason: headers['dlq-reason'],
          originalTopic: headers['dlq-original-topic'],
          key: message.key?.toString('utf8') ?? null,
          value: message.value,
          headers,
        });
        if (BigInt(message.offset) + 1n >= high) remaining.delete(partition);
        if (remaining.size === 0) resolve();
      },
    });
  });
  await done;
  await consumer.disconnect();
  return letters;
}

/** Re-publishes chosen dead letters to their original topic (same key and value, DLQ headers removed). */
export async function replayDeadLetters(options: ReplayOptions): Promise<{ selected: DeadLetter[]; published: number }> {
  if (!options.all && !options.ids?.length) throw new Error('--id or --all: choose the messages to replay');
  const letters = await readDeadLetters(options.kafka, options.topic);
  const wanted = new Set(options.ids ?? []);
  const selected = letters.filter((l) => options.all || (l.commandId !== undefined && wanted.has(l.commandId)));
  const missing = [...wanted].filter((id) => !selected.some((l) => l.commandId === id));
  if (missing.length) throw new Error(`--id: not found on ${options.topic}: ${missing.join(', ')}`);
  const unroutable = selected.filter((l) => !l.originalTopic);
  if (unroutable.length) throw new Error(`dlq-original-topic header: missing on offsets ${unroutable.map((l) => l.offset).join(', ')}`);
  if (options.dryRun || selected.length === 0) return { selected, published: 0 };

  const producer = options.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    for (const l of selected) {
      const headers = Object.fromEntries(Object.entries(l.headers).filter(([k]) => !k.startsWith('dlq-')));
      headers[REPLAY_HEADER] = new Date().toISOString();
      await producer.send({ topic: l.originalTopic!, messages: [{ key: l.key, value: l.value, headers }] });
    }
  } finally {
    await producer.disconnect();
  }
  return { selected, published: selected.length };
}
