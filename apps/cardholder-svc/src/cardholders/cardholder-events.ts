import {
  createEvent,
  EVENT_TYPES,
  type CardholderKycApplyCommand,
  type KycStatus,
} from '@issuing-bridge/contracts';
import type { CloudEventLike } from '@issuing-bridge/messaging';

export const CARDHOLDER_SVC_SOURCE = 'urn:issuing-bridge:cardholder-svc';

export type KycOperation = 'create' | 'update';
export type KycStatusSource = 'command' | 'poll' | 'reconciliation';

export const operationOf = (command: CardholderKycApplyCommand): KycOperation =>
  command.data.cardholder_no === undefined ? 'create' : 'update';

const envelope = (command: CardholderKycApplyCommand) => ({
  source: CARDHOLDER_SVC_SOURCE,
  subject: command.data.cardholder_unique_no,
  causationid: command.id,
  ...(command.correlationid !== undefined && { correlationid: command.correlationid }),
});

export function kycApplied(
  command: CardholderKycApplyCommand,
  cardholderNo: string,
  status: KycStatus,
): CloudEventLike {
  return createEvent({
    type: EVENT_TYPES.cardholderKycApplied,
    ...envelope(command),
    data: {
      cardholder_unique_no: command.data.cardholder_unique_no,
      cardholder_no: cardholderNo,
      operation: operationOf(command),
      status,
    },
  });
}

export function kycApplyFailed(
  command: CardholderKycApplyCommand,
  code: number | string,
  msg: string,
): CloudEventLike {
  return createEvent({
    type: EVENT_TYPES.cardholderKycApplyFailed,
    ...envelope(command),
    data: {
      cardholder_unique_no: command.data.cardholder_unique_no,
      cardholder_no: command.data.cardholder_no ?? null,
      operation: operationOf(command),
      code,
      msg: msg.slice(0, 1024),
    },
  });
}

export interface StatusChange {
  cardholderUniqueNo: string;
  cardholderNo: string;
  before: KycStatus | null;
  after: KycStatus;
  failReason: string | null;
  source: KycStatusSource;
  time: Date;
  /** The command that caused it (absent for polls). */
  causationid?: string;
  correlationid?: string;
}

export function kycStatusChanged(change: StatusChange): CloudEventLike {
  return createEvent({
    type: EVENT_TYPES.cardholderKycStatusChanged,
    source: CARDHOLDER_SVC_SOURCE,
    subject: change.cardholderUniqueNo,
    ...(change.causationid !== undefined && { causationid: change.causationid }),
    ...(change.correlationid !== undefined && { correlationid: change.correlationid }),
    data: {
      cardholder_unique_no: change.cardholderUniqueNo,
      cardholder_no: change.cardholderNo,
      before: change.before,
      after: change.after,
      fail_reason: change.failReason === null ? null : change.failReason.slice(0, 1024),
      source: change.source,
      time: change.time.toISOString(),
    },
  });
}
