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

/**
 * Validates an incoming command (already JSON-parsed). Never throws: junk yields violations.
 * `commandId` / `commandType` are returned only when they are themselves valid, so a rejection
 * event can refer to them without echoing arbitrary input.
 */
export function parseCommand(raw: unknown): ParseCommandResult {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return {
      ok: false,
      violations: [
        { field: '$', rule: 'type', message: '$ must be a JSON object (a CloudEvents envelope)' },
      ],
    };
  }
  const record = raw as Record<string, unknown>;
  const commandId = uuidCheck.safeParse(record.id).success ? (record.id as string) : undefined;
  if (!isCommandType(record.type)) {
    return {
      ok: false,
      ...(commandId && { commandId }),
      violations: [
        record.type === undefined
          ? { field: 'type', rule: 'required', message: 'type is required' }
          : {
              field: 'type',
              rule: 'enum',
              message: `type must be one of ${COMMAND_TYPE_LIST.join(', ')}`,
            },
      ],
    };
  }
  const commandType = record.type;
  const result = commandSchemas[commandType].safeParse(raw, { reportInput: true });
  if (result.success) return { ok: true, command: result.data as Command };
  return {
    ok: false,
    ...(commandId && { commandId }),
    commandType,
    violations: zodErrorToViolations(result.error),
  };
}

/** Validates an incoming event; same rules as parseCommand. */
export function parseEvent(raw: unknown): ParseEventResult {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return {
      ok: false,
      violations: [
        { field: '$', rule: 'type', message: '$ must be a JSON object (a CloudEvents envelope)' },
      ],
    };
  }
  const record = raw as Record<string, unknown>;
  const eventId = uuidCheck.safeParse(record.id).success ? (record.id as string) : undefined;
  if (!isEventType(record.type)) {
    return {
      ok: false,
      ...(eventId && { eventId }),
      violations: [
        {
          field: 'type',
          rule: record.type === undefined ? 'required' : 'enum',
          message: 'type must be a known event type',
        },
      ],
    };
  }
  const eventType = record.type;
  const result = eventSchemas[eventType].safeParse(raw, { reportInput: true });
  if (result.success) return { ok: true, event: result.data as DomainEvent };
  return {
    ok: false,
    ...(eventId && { eventId }),
    eventType,
    violations: zodErrorToViolations(result.error),
  };
}
