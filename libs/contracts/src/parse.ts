import { z } from 'zod';
import {
  COMMAND_TYPE_LIST,
  type Command,
  type CommandType,
  commandSchemas,
  isCommandType,
} from './commands';
import { type DomainEvent, type EventType, eventSchemas, isEventType } from './events';
import { type Violation, zodErrorToViolations } from './violations';

export type ParseCommandResult =
  | { ok: true; command: Command }
  | { ok: false; commandId?: string; commandType?: CommandType; violations: Violation[] };

export type ParseEventResult =
  | { ok: true; event: DomainEvent }
  | { ok: false; eventId?: string; eventType?: EventType; violations: Violation[] };

const uuidCheck = z.uuid();

/** What differs between commands and events; the envelope checks themselves are shared. */
interface EnvelopeKind<T extends string> {
  isType: (value: unknown) => value is T;
  schemas: Record<T, z.ZodType>;
  /** Violation for a missing or unknown `type` (commands list the allowed values, events do not). */
  typeViolation: (type: unknown) => Violation;
}

type EnvelopeResult<T extends string> =
  { ok: true; data: unknown } | { ok: false; id?: string; type?: T; violations: Violation[] };

/** Object check, id check, type check, schema parse — in that order, never throwing. */
function parseEnvelope<T extends string>(raw: unknown, kind: EnvelopeKind<T>): EnvelopeResult<T> {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return {
      ok: false,
      violations: [
        { field: '$', rule: 'type', message: '$ must be a JSON object (a CloudEvents envelope)' },
      ],
    };
  }
  const record = raw as Record<string, unknown>;
  const id = uuidCheck.safeParse(record.id).success ? (record.id as string) : undefined;
  if (!kind.isType(record.type)) {
    return { ok: false, id, violations: [kind.typeViolation(record.type)] };
  }
  const type = record.type;
  const result = kind.schemas[type].safeParse(raw, { reportInput: true });
  if (result.success) return { ok: true, data: result.data };
  return { ok: false, id, type, violations: zodErrorToViolations(result.error) };
}

const COMMAND_KIND: EnvelopeKind<CommandType> = {
  isType: isCommandType,
  schemas: commandSchemas,
  typeViolation: (type) =>
    type === undefined
      ? { field: 'type', rule: 'required', message: 'type is required' }
      : {
          field: 'type',
          rule: 'enum',
          message: `type must be one of ${COMMAND_TYPE_LIST.join(', ')}`,
        },
};

const EVENT_KIND: EnvelopeKind<EventType> = {
  isType: isEventType,
  schemas: eventSchemas,
  typeViolation: (type) => ({
    field: 'type',
    rule: type === undefined ? 'required' : 'enum',
    message: 'type must be a known event type',
  }),
};

/**
 * Validates an incoming command (already JSON-parsed). Never throws: junk yields violations.
 * `commandId` / `commandType` are returned only when they are themselves valid, so a rejection
 * event can refer to them without echoing arbitrary input.
 */
export function parseCommand(raw: unknown): ParseCommandResult {
  const parsed = parseEnvelope(raw, COMMAND_KIND);
  if (parsed.ok) return { ok: true, command: parsed.data as Command };
  return {
    ok: false,
    ...(parsed.id && { commandId: parsed.id }),
    ...(parsed.type && { commandType: parsed.type }),
    violations: parsed.violations,
  };
}

/** Validates an incoming event; same rules as parseCommand. */
export function parseEvent(raw: unknown): ParseEventResult {
  const parsed = parseEnvelope(raw, EVENT_KIND);
  if (parsed.ok) return { ok: true, event: parsed.data as DomainEvent };
  return {
    ok: false,
    ...(parsed.id && { eventId: parsed.id }),
    ...(parsed.type && { eventType: parsed.type }),
    violations: parsed.violations,
  };
}
