import { TOPICS, topicForCommand, type CommandType } from '@issuing-bridge/contracts';
import type { GatewayConfig } from '../config/config.schema';

/** Topics the gateway writes and reads: the contract's, unless a test run isolates itself. */
export interface GatewayTopics {
  commandTopicFor(type: CommandType): string;
  events: string[];
  callbacks: string;
}

export function gatewayTopics(config: GatewayConfig): GatewayTopics {
  return {
    commandTopicFor: (type) =>
      topicForCommand(type) === TOPICS.cardholderCommands
        ? config.GATEWAY_CARDHOLDER_COMMANDS_TOPIC
        : config.GATEWAY_CARD_COMMANDS_TOPIC,
    events: [config.GATEWAY_CARDHOLDER_EVENTS_TOPIC, config.GATEWAY_CARD_EVENTS_TOPIC],
    callbacks: config.GATEWAY_KEYSECURE_CALLBACKS_TOPIC,
  };
}
