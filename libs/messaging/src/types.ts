import type { EntityManager } from 'typeorm';

/** A CloudEvents 1.0 event in structured JSON mode (the shape `createEvent` from contracts returns). */
export interface CloudEventLike {
  id: string;
  type: string;
  source: string;
  subject?: string;
  [attribute: string]: unknown;
}

/** A parsed command: CloudEvents envelope whose `id` is the idempotency key. */
export interface CommandLike extends CloudEventLike {
  data?: unknown;
  correlationid?: string;
}

/** One broken schema rule. Never carries the offending value. */
export interface Violation {
  field: string;
  rule: string;
  message: string;
}

export type ParseResult<C extends CommandLike = CommandLike> =
  | { ok: true; command: C }
  | { ok: false; commandId?: string; commandType?: string; violations: Violation[] };

/** Same signature as `parseCommand` in @issuing-bridge/contracts. */
export type ParseCommand = (raw: unknown) => ParseResult;

export interface RejectionInput {
  commandId?: string;
  commandType?: string;
  correlationid?: string;
  subject?: string;
  violations: Violation[];
}
/** Builds the `command.rejected` event for a command that failed its schema or its idempotency check. */
export type RejectionEventBuilder = (input: RejectionInput) => CloudEventLike;

/** Why a valid command ended without success. */
export type FailureReason = 'provider_unavailable' | 'processing_error';
/** Builds the domain failure event (e.g. `card.apply_failed`) for a command the engine gave up on. */
export type FailureEventBuilder = (command: CommandLike, reason: FailureReason) => CloudEventLike;

/** A row for the outbox: an event bound to a Kafka topic and key. */
export interface OutboxMessage {
  topic: string;
  key: string | null;
  /** The CloudEvent, or raw text (used for dead-letter copies, which keep the original bytes). */
  event: CloudEventLike | string;
  headers?: Record<string, string>;
}

/** What a handler may return from `ctx.complete`: bare events go to the transport's events topic, keyed like the command. */
export type Publishable = CloudEventLike | OutboxMessage;

export type CompleteFn = (tx: EntityManager) => Promise<Publishable[] | void>;

/** Extras accepted by `@EventPattern(type, extras)` on a command handler. */
export interface CommandHandlerExtras {
  failureEventFor?: FailureEventBuilder;
}

export function isOutboxMessage(p: Publishable): p is OutboxMessage {
  return typeof (p as OutboxMessage).topic === 'string' && 'event' in p;
}
