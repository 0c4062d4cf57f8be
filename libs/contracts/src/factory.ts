import { randomUUID } from 'node:crypto';
import {
  COMMAND_KEY_FIELD,
  type Command,
  type CommandData,
  type CommandType,
  commandSchemas,
} from './commands';
import { CLOUDEVENTS_SPECVERSION, DATA_CONTENT_TYPE } from './envelope';
import { type DomainEvent, type EventData, type EventType, eventSchemas } from './events';
import { ContractViolationError, zodErrorToViolations } from './violations';

export interface CreateCommandInput<T extends CommandType> {
  type: T;
  source: string;
  data: CommandData<T>;
  /** Defaults to the command's key field (cardholder_unique_no / card_unique_no). */
  subject?: string;
  correlationid?: string;
  causationid?: string;
  /** Defaults to a new UUID. The id is the command's idempotency key: reuse it when re-sending the same command. */
  id?: string;
  /** Defaults to now. */
  time?: Date;
}

export interface CreateEventInput<T extends EventType> {
  type: T;
  source: string;
  subject: string;
  data: EventData<T>;
  /** The id of the command (or callback event) that caused this event; required for command results. */
  causationid?: string;
  correlationid?: string;
  id?: string;
  time?: Date;
}

/** Builds and validates a command envelope; throws ContractViolationError if it breaks the contract. */
export function createCommand<T extends CommandType>(input: CreateCommandInput<T>): Command<T> {
  const keyField = COMMAND_KEY_FIELD[input.type] as string;
  const envelope = {
    specversion: CLOUDEVENTS_SPECVERSION,
    id: input.id ?? randomUUID(),
    source: input.source,
    type: input.type,
    subject: input.subject ?? (input.data as Record<string, unknown>)[keyField],
    time: (input.time ?? new Date()).toISOString(),
    datacontenttype: DATA_CONTENT_TYPE,
    data: input.data,
    ...(input.correlationid !== undefined && { correlationid: input.correlationid }),
    ...(input.causationid !== undefined && { causationid: input.causationid }),
  };
  const result = commandSchemas[input.type].safeParse(envelope, { reportInput: true });
  if (!result.success)
    throw new ContractViolationError(input.type, zodErrorToViolations(result.error));
  return result.data as Command<T>;
}

/** Builds and validates an event envelope; throws ContractViolationError if it breaks the contract. */
export function createEvent<T extends EventType>(input: CreateEventInput<T>): DomainEvent<T> {
  const envelope = {
    specversion: CLOUDEVENTS_SPECVERSION,
    id: input.id ?? randomUUID(),
    source: input.source,
    type: input.type,
    subject: input.subject,
    time: (input.time ?? new Date()).toISOString(),
    datacontenttype: DATA_CONTENT_TYPE,
    data: input.data,
    ...(input.correlationid !== undefined && { correlationid: input.correlationid }),
    ...(input.causationid !== undefined && { causationid: input.causationid }),
  };
  const result = eventSchemas[input.type].safeParse(envelope, { reportInput: true });
  if (!result.success)
    throw new ContractViolationError(input.type, zodErrorToViolations(result.error));
  return result.data as DomainEvent<T>;
}
