import {
  COMMAND_TYPES,
  EVENT_TYPES,
  createEvent,
  type CardActivateCommand,
  type CardApplyCommand,
  type CardPinSetCommand,
  type CardStatusUpdateCommand,
} from '@issuing-bridge/contracts';
import type { CloudEventLike, CommandLike, FailureEventBuilder } from '@issuing-bridge/messaging';
import type { FailureCode } from '../providers/card-provider';
import { CARD_SOURCE } from './card-status';

export type CardCommand = CardApplyCommand | CardActivateCommand | CardStatusUpdateCommand | CardPinSetCommand;
export type { FailureCode };

const common = (command: CommandLike) => ({
  source: CARD_SOURCE,
  subject: String(command.subject),
  causationid: command.id,
  ...(command.correlationid && { correlationid: command.correlationid }),
});

/** The result event saying `command` failed with `code`; `msg` must never carry a secret. */
export function failureEvent(command: CardCommand, code: FailureCode, msg: string, cardNo: string | null = null): CloudEventLike {
  const failure = { code, msg: msg.slice(0, 1024) };
  switch (command.type) {
    case COMMAND_TYPES.cardApply:
      return createEvent({
        type: EVENT_TYPES.cardApplyFailed,
        ...common(command),
        data: { card_unique_no: command.data.card_unique_no, cardholder_no: command.data.cardholder_no, ...failure },
      });
    case COMMAND_TYPES.cardActivate:
      return createEvent({
        type: EVENT_TYPES.cardActivateFailed,
        ...common(command),
        data: { card_unique_no: command.data.card_unique_no, card_no: cardNo, ...failure },
      });
    case COMMAND_TYPES.cardStatusUpdate:
      return createEvent({
        type: EVENT_TYPES.cardStatusUpdateFailed,
        ...common(command),
        data: { card_unique_no: command.data.card_unique_no, card_no: cardNo, action: command.data.action, ...failure },
      });
    case COMMAND_TYPES.cardPinSet:
      return createEvent({
        type: EVENT_TYPES.cardPinSetFailed,
        ...common(command),
        data: { card_unique_no: command.data.card_unique_no, card_no: cardNo, ...failure },
      });
    default:
      throw new Error(`failureEvent: no failure event for command type ${(command as CommandLike).type}`);
  }
}

/** For the engine: a command it gave up on (retry deadline, unexpected error). */
export const engineFailureEvent: FailureEventBuilder = (command, reason) =>
  failureEvent(
    command as CardCommand,
    reason,
    reason === 'provider_unavailable'
      ? 'the provider stayed unavailable until the command deadline'
      : 'the command could not be processed',
  );
