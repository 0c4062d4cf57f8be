import { COMMAND_TYPES, type CommandType } from './commands';
import { EVENT_TYPES, type EventType } from './events';
import { DLQ_OF, TOPICS, type TopicName } from './topics';

const COMMAND_TOPIC: Record<CommandType, TopicName> = {
  [COMMAND_TYPES.cardholderKycApply]: TOPICS.cardholderCommands,
  [COMMAND_TYPES.cardApply]: TOPICS.cardCommands,
  [COMMAND_TYPES.cardActivate]: TOPICS.cardCommands,
  [COMMAND_TYPES.cardStatusUpdate]: TOPICS.cardCommands,
  [COMMAND_TYPES.cardPinSet]: TOPICS.cardCommands,
};

const EVENT_TOPIC: Record<Exclude<EventType, typeof EVENT_TYPES.commandRejected>, TopicName> = {
  [EVENT_TYPES.cardholderKycApplied]: TOPICS.cardholderEvents,
  [EVENT_TYPES.cardholderKycApplyFailed]: TOPICS.cardholderEvents,
  [EVENT_TYPES.cardholderKycStatusChanged]: TOPICS.cardholderEvents,
  [EVENT_TYPES.cardApplied]: TOPICS.cardEvents,
  [EVENT_TYPES.cardApplyFailed]: TOPICS.cardEvents,
  [EVENT_TYPES.cardActivated]: TOPICS.cardEvents,
  [EVENT_TYPES.cardActivateFailed]: TOPICS.cardEvents,
  [EVENT_TYPES.cardStatusUpdated]: TOPICS.cardEvents,
  [EVENT_TYPES.cardStatusUpdateFailed]: TOPICS.cardEvents,
  [EVENT_TYPES.cardPinSetSucceeded]: TOPICS.cardEvents,
  [EVENT_TYPES.cardPinSetFailed]: TOPICS.cardEvents,
  [EVENT_TYPES.cardStatusChanged]: TOPICS.cardEvents,
  [EVENT_TYPES.keysecureCallbackReceived]: TOPICS.keysecureCallbacks,
  [EVENT_TYPES.uqpayWebhookReceived]: TOPICS.uqpayCallbacks,
};

/** Events topic that answers each command topic (results and rejections of its commands). */
export const EVENTS_TOPIC_OF_COMMANDS: Record<string, TopicName> = {
  [TOPICS.cardholderCommands]: TOPICS.cardholderEvents,
  [TOPICS.cardCommands]: TOPICS.cardEvents,
};

export function topicForCommand(type: CommandType): TopicName {
  const topic = COMMAND_TOPIC[type];
  if (!topic)
    throw new Error(
      `type: unknown command type, expected one of ${Object.keys(COMMAND_TOPIC).join(', ')}`,
    );
  return topic;
}

/**
 * Topic of an event. `command.rejected.v1` goes to the events topic of the command topic the rejected
 * record came from (its type may be unknown), so pass `commandTopic` for it.
 */
export function topicForEvent(type: EventType, commandTopic?: string): TopicName {
  if (type === EVENT_TYPES.commandRejected) {
    const topic = commandTopic ? EVENTS_TOPIC_OF_COMMANDS[commandTopic] : undefined;
    if (!topic) {
      throw new Error(
        `commandTopic: ${type} needs the command topic it answers, one of ${Object.keys(EVENTS_TOPIC_OF_COMMANDS).join(', ')}`,
      );
    }
    return topic;
  }
  const topic = EVENT_TOPIC[type];
  if (!topic) throw new Error(`type: unknown event type`);
  return topic;
}

export function dlqTopicFor(commandTopic: string): TopicName {
  const topic = DLQ_OF[commandTopic];
  if (!topic) throw new Error(`commandTopic: has no dead-letter topic`);
  return topic;
}

/**
 * Kafka key of a command or event: its `subject`, which the schemas hold equal to the entity's
 * merchant-side key (cardholder_unique_no / card_unique_no) so one entity's messages stay in order.
 */
export function partitionKeyOf(message: { subject: string }): string {
  return message.subject;
}
