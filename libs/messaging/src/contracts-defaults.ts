import { randomUUID } from 'node:crypto';
import * as contracts from '@issuing-bridge/contracts';
import type { CloudEventLike, ParseCommand, RejectionEventBuilder, RejectionInput } from './types';

// Looked up at run time so the engine builds and tests while contracts is still growing.
interface ContractsRuntime {
  parseCommand: ParseCommand;
  createEvent: (input: Record<string, unknown>) => CloudEventLike;
  EVENT_TYPES: { commandRejected: string };
}
const runtime = contracts as unknown as Partial<ContractsRuntime>;

export const COMMAND_REJECTED_TYPE = runtime.EVENT_TYPES?.commandRejected ?? 'command.rejected.v1';

export const defaultParseCommand: ParseCommand = (raw) => {
  if (!runtime.parseCommand) throw new Error('parseCommand: not exported by @issuing-bridge/contracts; pass options.parseCommand');
  return runtime.parseCommand(raw);
};

/** `command.rejected` through contracts' createEvent (validated), or a plain envelope of the same shape. */
export function defaultRejectionEventFor(source: string): RejectionEventBuilder {
  return (input: RejectionInput) => {
    const fields = {
      type: COMMAND_REJECTED_TYPE,
      source,
      subject: input.subject ?? input.commandId ?? 'unknown',
      data: {
        command_id: input.commandId ?? null,
        command_type: input.commandType ?? null,
        violations: input.violations,
      },
      ...(input.commandId && { causationid: input.commandId }),
      ...(input.correlationid && { correlationid: input.correlationid }),
    };
    if (runtime.createEvent) return runtime.createEvent(fields);
    return {
      specversion: '1.0',
      id: randomUUID(),
      time: new Date().toISOString(),
      datacontenttype: 'application/json',
      ...fields,
    };
  };
}
