import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import {
  COMMAND_TYPES,
  EVENT_TYPES,
  type CommandType,
  type DomainEvent,
  type EventType,
} from '@issuing-bridge/contracts';

type Outcome = 'succeeded' | 'failed';

/** Result events: the command each answers and whether it succeeded. */
const RESULT_OF: Partial<Record<EventType, { command: CommandType; outcome: Outcome }>> = {
  [EVENT_TYPES.cardholderKycApplied]: {
    command: COMMAND_TYPES.cardholderKycApply,
    outcome: 'succeeded',
  },
  [EVENT_TYPES.cardholderKycApplyFailed]: {
    command: COMMAND_TYPES.cardholderKycApply,
    outcome: 'failed',
  },
  [EVENT_TYPES.cardApplied]: { command: COMMAND_TYPES.cardApply, outcome: 'succeeded' },
  [EVENT_TYPES.cardApplyFailed]: { command: COMMAND_TYPES.cardApply, outcome: 'failed' },
  [EVENT_TYPES.cardActivated]: { command: COMMAND_TYPES.cardActivate, outcome: 'succeeded' },
  [EVENT_TYPES.cardActivateFailed]: { command: COMMAND_TYPES.cardActivate, outcome: 'failed' },
  [EVENT_TYPES.cardStatusUpdated]: {
    command: COMMAND_TYPES.cardStatusUpdate,
    outcome: 'succeeded',
  },
  [EVENT_TYPES.cardStatusUpdateFailed]: {
    command: COMMAND_TYPES.cardStatusUpdate,
    outcome: 'failed',
  },
  [EVENT_TYPES.cardPinSetSucceeded]: { command: COMMAND_TYPES.cardPinSet, outcome: 'succeeded' },
  [EVENT_TYPES.cardPinSetFailed]: { command: COMMAND_TYPES.cardPinSet, outcome: 'failed' },
};

/**
 * Applies one event to the read model (commands, cardholders, cards). Every write is an upsert keyed
 * by the command / entity, so a redelivered event changes nothing; events of one entity arrive in
 * order (same Kafka key), so the last one applied is the current state.
 */
@Injectable()
export class ReadModelProjector {
  constructor(private readonly dataSource: DataSource) {}

  apply(event: DomainEvent): Promise<void> {
    return this.dataSource.transaction(async (manager) => {
      await this.projectCommand(manager, event);
      await this.projectEntity(manager, event);
    });
  }

  private async projectCommand(manager: EntityManager, event: DomainEvent): Promise<void> {
    if (event.type === EVENT_TYPES.commandRejected) {
      const { command_id, command_type, violations } = event.data;
      if (!command_id) return;
      await upsertCommand(manager, {
        commandId: command_id,
        commandType: command_type,
        subject: event.subject,
        status: 'rejected',
        result: null,
        errorCode: 'validation_failed',
        errorMessage: violations.map((v) => `${v.field}: ${v.rule}`).join('; '),
        violations,
        eventId: event.id,
      });
      return;
    }
    const result = RESULT_OF[event.type];
    if (!result || !event.causationid) return;
    const failure =
      result.outcome === 'failed'
        ? (event.data as { code: string | number; msg: string })
        : undefined;
    await upsertCommand(manager, {
      commandId: event.causationid,
      commandType: result.command,
      subject: event.subject,
      status: result.outcome,
      result: failure ? null : event.data,
      errorCode: failure ? String(failure.code) : null,
      errorMessage: failure ? failure.msg : null,
      violations: null,
      eventId: event.id,
    });
  }

  private async projectEntity(manager: EntityManager, event: DomainEvent): Promise<void> {
    switch (event.type) {
      case EVENT_TYPES.cardholderKycApplied:
        await upsertCardholder(manager, event.data.cardholder_unique_no, {
          cardholder_no: event.data.cardholder_no,
          kyc_status: event.data.status,
        });
        return;
      case EVENT_TYPES.cardholderKycStatusChanged:
        await upsertCardholder(manager, event.data.cardholder_unique_no, {
          cardholder_no: event.data.cardholder_no,
          kyc_status: event.data.after,
          fail_reason: event.data.fail_reason,
        });
        return;
      case EVENT_TYPES.cardApplied:
        await upsertCard(manager, event.data.card_unique_no, {
          card_no: event.data.card_no,
          cardholder_no: event.data.cardholder_no,
          card_type: event.data.card_type,
          status: event.data.status,
        });
        return;
      case EVENT_TYPES.cardActivated:
        await upsertCard(manager, event.data.card_unique_no, {
          card_no: event.data.card_no,
          status: 'Activated',
        });
        return;
      case EVENT_TYPES.cardStatusUpdated:
        await upsertCard(manager, event.data.card_unique_no, {
          card_no: event.data.card_no,
          status: event.data.status,
        });
        return;
      case EVENT_TYPES.cardStatusChanged:
        await upsertCard(manager, event.data.card_unique_no, {
          card_no: event.data.card_no,
          status: event.data.after,
          status_reason: event.data.reason,
        });
        return;
      default:
        return;
    }
  }
}

interface CommandRow {
  commandId: string;
  commandType: string | null;
  subject: string;
  status: 'succeeded' | 'failed' | 'rejected';
  result: unknown;
  errorCode: string | null;
  errorMessage: string | null;
  violations: unknown;
  eventId: string;
}

async function upsertCommand(manager: EntityManager, row: CommandRow): Promise<void> {
  // A command sent straight to Kafka (not through the gateway) gets its row from its result alone.
  await manager.query(
    `INSERT INTO "gateway"."commands"
       (command_id, command_type, subject, status, result, error_code, error_message, violations, event_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     ON CONFLICT (command_id) DO UPDATE SET
       command_type = COALESCE("commands".command_type, EXCLUDED.command_type),
       status = EXCLUDED.status, result = EXCLUDED.result, error_code = EXCLUDED.error_code,
       error_message = EXCLUDED.error_message, violations = EXCLUDED.violations,
       event_id = EXCLUDED.event_id, updated_at = now()`,
    [
      row.commandId,
      row.commandType,
      row.subject,
      row.status,
      row.result === null ? null : JSON.stringify(row.result),
      row.errorCode,
      row.errorMessage,
      row.violations === null ? null : JSON.stringify(row.violations),
      row.eventId,
    ],
  );
}

async function upsertRow(
  manager: EntityManager,
  table: 'cardholders' | 'cards',
  keyColumn: string,
  key: string,
  fields: Record<string, string | null>,
): Promise<void> {
  const columns = Object.keys(fields);
  const values = Object.values(fields);
  const placeholders = columns.map((_, i) => `$${i + 2}`);
  const updates = columns.map((c) => `"${c}" = EXCLUDED."${c}"`);
  await manager.query(
    `INSERT INTO "gateway"."${table}" ("${keyColumn}", ${columns.map((c) => `"${c}"`).join(', ')})
     VALUES ($1, ${placeholders.join(', ')})
     ON CONFLICT ("${keyColumn}") DO UPDATE SET ${updates.join(', ')}, updated_at = now()`,
    [key, ...values],
  );
}

const upsertCardholder = (m: EntityManager, key: string, fields: Record<string, string | null>) =>
  upsertRow(m, 'cardholders', 'cardholder_unique_no', key, fields);
const upsertCard = (m: EntityManager, key: string, fields: Record<string, string | null>) =>
  upsertRow(m, 'cards', 'card_unique_no', key, fields);
