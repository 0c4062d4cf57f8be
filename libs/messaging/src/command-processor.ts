import { createHash, randomUUID } from 'node:crypto';
import { isObservable, lastValueFrom } from 'rxjs';
import type { DataSource, EntityManager } from 'typeorm';
import { CommandContext } from './command-context';
import { COMMAND_REJECTED_TYPE } from './contracts-defaults';
import { InboxEntry, OutboxEntry } from './entities';
import { CommandAbandoned, errorFields, isRetryable, isUniqueViolation } from './errors';
import type { BusMessage } from './message-bus';
import { outboxColumns, outboxInsertSql, qualifiedTable, type MessagingLogger, type Outbox } from './outbox';
import {
  isOutboxMessage,
  type CloudEventLike,
  type CommandLike,
  type CompleteFn,
  type FailureEventBuilder,
  type FailureReason,
  type OutboxMessage,
  type ParseCommand,
  type RejectionEventBuilder,
  type Violation,
} from './types';

export type CommandOutcome = 'handled' | 'duplicate' | 'rejected' | 'conflict' | 'failed' | 'abandoned';

export interface RetryPolicy {
  /** First backoff delay. */
  initialDelayMs: number;
  maxDelayMs: number;
  /** After this long since the first attempt the command fails with `provider_unavailable`. */
  deadlineMs: number;
}

export type HandlerLookup = (
  type: string,
) => { invoke: (command: CommandLike, ctx: CommandContext) => Promise<unknown>; failureEventFor?: FailureEventBuilder } | null;

export interface CommandProcessorOptions {
  dataSource: DataSource;
  outbox: Outbox;
  eventsTopic: string;
  dlqTopic: string;
  parseCommand: ParseCommand;
  rejectionEventFor: RejectionEventBuilder;
  failureEventFor?: FailureEventBuilder;
  handlers: HandlerLookup;
  retry: RetryPolicy;
  /**
   * True once shutdown's grace period is over: retry waits give up, and no further engine or handler
   * write (`ctx.complete`, failure, rejection) is made, so the command stays uncommitted for the next owner.
   */
  abandoning: () => boolean;
  logger?: MessagingLogger;
}

/** Header set by the DLQ replay tool: lets a command that failed for good run again. */
export const REPLAY_HEADER = 'x-dlq-replayed-at';

// Stable JSON so the hash does not depend on key order chosen by the producer.
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** What makes "the same command": type, subject and data (not `time`, which a re-sender may refresh). */
export function payloadHash(command: CommandLike): string {
  return createHash('sha256').update(canonical({ type: command.type, subject: command.subject, data: command.data })).digest('hex');
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface InboxRow {
  commandId: string;
  payloadHash: string;
  outcome: string;
}

/**
 * Coalesces the inbox look-ups of commands that start in the same turn of the event loop (a fetched
 * Kafka batch starts many at once) into one `SELECT … WHERE command_id = ANY($1)`. Commands of one key
 * never overlap (their lane runs them one by one), so each still reads after its predecessor committed.
 */
export class InboxLookups {
  private pending = new Map<string, Array<{ resolve: (rows: InboxRow[]) => void; reject: (e: unknown) => void }>>();
  private scheduled = false;

  constructor(private readonly select: (ids: string[]) => Promise<InboxRow[]>) {}

  find(commandId: string): Promise<InboxRow[]> {
    return new Promise((resolve, reject) => {
      const waiters = this.pending.get(commandId);
      if (waiters) waiters.push({ resolve, reject });
      else this.pending.set(commandId, [{ resolve, reject }]);
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = new Map();
    this.scheduled = false;
    try {
      const rows = await this.select([...batch.keys()]);
      for (const [id, waiters] of batch) {
        const mine = rows.filter((r) => r.commandId === id);
        waiters.forEach((w) => w.resolve(mine));
      }
    } catch (e) {
      for (const waiters of batch.values()) waiters.forEach((w) => w.reject(e));
    }
  }
}

/** Turns one Kafka record into exactly one outcome: parse, dedupe, handle with retries, record. */
export class CommandProcessor {
  private readonly inboxTable: string;
  private readonly inbox: InboxLookups;
  /** Inbox row + all outbox rows in ONE statement (one round trip, atomic even without a transaction). */
  private readonly recordSql: string;

  constructor(private readonly o: CommandProcessorOptions) {
    this.inboxTable = qualifiedTable(o.dataSource, InboxEntry);
    this.recordSql = `WITH inbox AS (
        INSERT INTO ${this.inboxTable} (command_id, payload_hash, command_type, outcome) VALUES ($1, $2, $3, $4))
      ${outboxInsertSql(qualifiedTable(o.dataSource, OutboxEntry), 5)}`;
    this.inbox = new InboxLookups((ids) =>
      o.dataSource.query(
        `SELECT command_id AS "commandId", payload_hash AS "payloadHash", outcome FROM ${this.inboxTable} WHERE command_id = ANY($1::text[])`,
        [ids],
      ),
    );
  }

  async process(message: BusMessage): Promise<{ outcome: CommandOutcome; type: string }> {
    const started = Date.now();
    const text = message.value?.toString('utf8') ?? '';
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    const parsed =
      json === undefined
        ? { ok: false as const, violations: [{ field: '$', rule: 'json', message: '$ must be a JSON document' }] }
        : this.o.parseCommand(json);

    if (!parsed.ok) {
      const id = parsed.commandId ?? `${message.topic}/${message.partition}/${message.offset}`;
      const hash = createHash('sha256').update(text).digest('hex');
      const outcome = await this.durably(message, () =>
        this.reject(message, { id, hash, type: parsed.commandType, knownId: parsed.commandId, violations: parsed.violations, dlq: 'validation' }),
      );
      return { outcome, type: parsed.commandType ?? 'unknown' };
    }

    const command = parsed.command;
    const hash = payloadHash(command);
    const handler = this.o.handlers(command.type);
    const outcome = await this.durably(message, async () => {
      if (this.o.abandoning()) throw new CommandAbandoned(); // queued behind an abandoned command of its key
      const rows = await this.inbox.find(command.id);
      const same = rows.find((r) => r.payloadHash === hash);
      const replayFailed = same?.outcome === 'failed' && message.headers[REPLAY_HEADER] !== undefined;
      if (same && !replayFailed) return 'duplicate';
      if (!same && rows.some((r) => r.outcome !== 'conflict')) {
        return this.reject(message, {
          id: command.id,
          hash,
          type: command.type,
          knownId: command.id,
          outcomeOverride: 'conflict',
          violations: [{ field: 'id', rule: 'conflict', message: 'id was already used by a command with a different payload' }],
          command,
        });
      }
      if (!handler) {
        return this.reject(message, {
          id: command.id,
          hash,
          type: command.type,
          knownId: command.id,
          violations: [{ field: 'type', rule: 'unsupported', message: 'type has no handler in this service' }],
          command,
          dlq: 'validation',
        });
      }
      return this.handle(message, command, hash, handler, started, replayFailed);
    });
    return { outcome, type: command.type };
  }

  private async handle(
    message: BusMessage,
    command: CommandLike,
    hash: string,
    handler: NonNullable<ReturnType<HandlerLookup>>,
    started: number,
    replay: boolean,
  ): Promise<CommandOutcome> {
    const deadline = new Date(started + this.o.retry.deadlineMs);
    for (let attempt = 1; ; attempt++) {
      if (this.o.abandoning()) throw new CommandAbandoned();
      const ctx = new CommandContext(message, command, attempt, deadline, (fn) =>
        this.commit(message, command, hash, 'handled', fn, replay),
      );
      try {
        const result = await handler.invoke(command, ctx);
        if (isObservable(result)) await lastValueFrom(result, { defaultValue: undefined });
        if (!ctx.completed) await this.record(message, command.id, hash, command.type, 'handled', [], replay);
        return 'handled';
      } catch (thrown) {
        // Nest's default filter replaces errors with {status, message}; complete() kept the real one.
        const error = ctx.lastCompleteError ?? thrown;
        // Shutdown gave this command up while the handler ran: record nothing, leave it for redelivery.
        if (error instanceof CommandAbandoned || thrown instanceof CommandAbandoned || this.o.abandoning()) throw new CommandAbandoned();
        if (isUniqueViolation(error)) return 'duplicate'; // another instance recorded it first
        const retryable = isRetryable(error);
        const delay = Math.min(this.o.retry.maxDelayMs, this.o.retry.initialDelayMs * 2 ** (attempt - 1));
        const wait = Math.random() * delay; // full jitter
        if (retryable && Date.now() + wait < deadline.getTime()) {
          this.o.logger?.warn({ msg: 'command attempt failed, retrying', commandId: command.id, type: command.type, attempt, err: errorFields(error) });
          await this.pause(wait);
          continue;
        }
        const reason: FailureReason = retryable ? 'provider_unavailable' : 'processing_error';
        this.o.logger?.error({ msg: 'command failed for good', commandId: command.id, type: command.type, attempt, reason, err: errorFields(error) });
        const failure = this.buildSafely('failureEventFor', () => (handler.failureEventFor ?? this.o.failureEventFor)?.(command, reason));
        await this.record(message, command.id, hash, command.type, 'failed', [...this.toOutbox(message, failure ? [failure] : []), this.dlqCopy(message, reason)], replay);
        return 'failed';
      }
    }
  }

  private buildSafely<T>(what: string, build: () => T): T | undefined {
    try {
      return build();
    } catch (e) {
      this.o.logger?.error({ msg: `${what} threw; continuing without its event`, err: errorFields(e) });
      return undefined;
    }
  }

  private async pause(ms: number): Promise<void> {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      if (this.o.abandoning()) throw new CommandAbandoned();
      await sleep(Math.min(100, until - Date.now()));
    }
  }

  /** Engine writes (rejections, failures) must land: retry infrastructure faults until shutdown gives up. */
  private async durably(message: BusMessage, fn: () => Promise<CommandOutcome>): Promise<CommandOutcome> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (e) {
        if (e instanceof CommandAbandoned) return 'abandoned';
        if (isUniqueViolation(e)) return 'duplicate';
        this.o.logger?.error({
          msg: 'recording a command outcome failed; retrying',
          topic: message.topic,
          partition: message.partition,
          offset: message.offset,
          attempt,
          err: errorFields(e),
        });
        if (this.o.abandoning()) return 'abandoned';
        await sleep(Math.min(5_000, 100 * 2 ** Math.min(attempt, 6)));
      }
    }
  }

  private toOutbox(message: BusMessage, items: Array<CloudEventLike | OutboxMessage>): OutboxMessage[] {
    const traceparent = message.headers.traceparent;
    const key = message.key?.toString('utf8') ?? null;
    return items.map((p) =>
      isOutboxMessage(p)
        ? p
        : { topic: this.o.eventsTopic, key, event: p, ...(traceparent && { headers: { traceparent } }) },
    );
  }

  private dlqCopy(message: BusMessage, reason: string): OutboxMessage {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(message.headers)) if (v !== undefined) headers[k] = v;
    return {
      topic: this.o.dlqTopic,
      key: message.key?.toString('utf8') ?? null,
      event: message.value?.toString('utf8') ?? '',
      headers: {
        ...headers,
        'dlq-reason': reason,
        'dlq-original-topic': message.topic,
        'dlq-original-partition': String(message.partition),
        'dlq-original-offset': message.offset,
      },
    };
  }

  private async commit(
    message: BusMessage,
    command: CommandLike,
    hash: string,
    outcome: 'handled' | 'failed',
    fn: CompleteFn,
    replay: boolean,
  ): Promise<void> {
    await this.unlessAbandoned(async (tx) => {
      const produced = (await fn(tx)) ?? [];
      await this.recordInbox(tx, command.id, hash, command.type, outcome, replay, this.toOutbox(message, produced));
    });
  }

  /**
   * An engine-only outcome (no handler state): inbox row and outbox rows in one autocommitted
   * statement, so no BEGIN/COMMIT round trips. A replay also deletes the old `failed` row, so it
   * keeps a transaction (rare).
   */
  private async record(
    message: BusMessage,
    id: string,
    hash: string,
    type: string | undefined,
    outcome: string,
    rows: OutboxMessage[],
    replay: boolean,
  ): Promise<void> {
    if (replay) {
      await this.unlessAbandoned((tx) => this.recordInbox(tx, id, hash, type, outcome, true, rows));
      return;
    }
    if (this.o.abandoning()) throw new CommandAbandoned();
    // The transport wakes the relay once the command has finished (after this commit).
    await this.o.dataSource.query(this.recordSql, [id, hash, type ?? null, outcome, ...outboxColumns(rows)]);
  }

  /**
   * One transaction that is refused once shutdown abandoned in-flight work: checked before it starts
   * and again just before COMMIT, so a handler that outlived the grace period writes nothing.
   */
  private async unlessAbandoned(work: (tx: EntityManager) => Promise<void>): Promise<void> {
    if (this.o.abandoning()) throw new CommandAbandoned();
    await this.o.dataSource.transaction(async (tx) => {
      await work(tx);
      if (this.o.abandoning()) throw new CommandAbandoned(); // rolls the transaction back
    });
  }

  private async recordInbox(
    tx: EntityManager,
    id: string,
    hash: string,
    type: string | undefined,
    outcome: string,
    replay: boolean,
    rows: OutboxMessage[],
  ) {
    if (replay) {
      await tx.query(`DELETE FROM ${this.inboxTable} WHERE command_id = $1 AND payload_hash = $2 AND outcome = 'failed'`, [id, hash]);
    }
    await tx.query(this.recordSql, [id, hash, type ?? null, outcome, ...outboxColumns(rows)]);
  }

  private async reject(
    message: BusMessage,
    r: {
      id: string;
      hash: string;
      type?: string;
      knownId?: string;
      violations: Violation[];
      outcomeOverride?: 'conflict';
      command?: CommandLike;
      dlq?: string;
    },
  ): Promise<CommandOutcome> {
    const key = message.key?.toString('utf8');
    const input = {
      commandId: r.knownId,
      commandType: r.type,
      correlationid: r.command?.correlationid,
      subject: key || r.knownId || r.id,
      violations: r.violations.length ? r.violations : [{ field: '$', rule: 'invalid', message: '$ is not a valid command' }],
    };
    // A builder that throws would make this record a poison pill (retried forever): fall back to a plain envelope.
    const event =
      this.buildSafely('rejectionEventFor', () => this.o.rejectionEventFor(input)) ??
      ({
        specversion: '1.0',
        id: randomUUID(),
        source: 'messaging',
        type: COMMAND_REJECTED_TYPE,
        subject: input.subject,
        time: new Date().toISOString(),
        datacontenttype: 'application/json',
        data: { command_id: input.commandId ?? null, command_type: input.commandType ?? null, violations: input.violations },
      } satisfies CloudEventLike);
    const rows = this.toOutbox(message, [event]);
    if (r.dlq) rows.push(this.dlqCopy(message, r.dlq));
    await this.record(message, r.id, r.hash, r.type, r.outcomeOverride ?? 'rejected', rows, false);
    return r.outcomeOverride ?? 'rejected';
  }
}
