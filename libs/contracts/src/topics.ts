// The only place topic names and partition counts are defined.
export const TOPICS = {
  cardholderCommands: 'cardholder.commands.v1',
  cardCommands: 'card.commands.v1',
  cardholderEvents: 'cardholder.events.v1',
  cardEvents: 'card.events.v1',
  keysecureCallbacks: 'keysecure.callbacks.v1',
  uqpayCallbacks: 'uqpay.callbacks.v1',
  cardholderCommandsDlq: 'cardholder.commands.v1.dlq',
  cardCommandsDlq: 'card.commands.v1.dlq',
} as const;

export type TopicName = (typeof TOPICS)[keyof typeof TOPICS];

/** Partitions per topic. Command and event topics are keyed by the merchant-side unique number. */
export const TOPIC_PARTITIONS: Record<TopicName, number> = {
  [TOPICS.cardholderCommands]: 6,
  [TOPICS.cardCommands]: 6,
  [TOPICS.cardholderEvents]: 6,
  [TOPICS.cardEvents]: 6,
  [TOPICS.keysecureCallbacks]: 3,
  [TOPICS.uqpayCallbacks]: 3,
  [TOPICS.cardholderCommandsDlq]: 1,
  [TOPICS.cardCommandsDlq]: 1,
};

/** Dead-letter topic of each command topic. */
export const DLQ_OF: Record<string, TopicName> = {
  [TOPICS.cardholderCommands]: TOPICS.cardholderCommandsDlq,
  [TOPICS.cardCommands]: TOPICS.cardCommandsDlq,
};
