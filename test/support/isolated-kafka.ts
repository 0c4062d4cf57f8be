import { Kafka, logLevel } from 'kafkajs';
import { TOPICS, TOPIC_PARTITIONS, type TopicName } from '@issuing-bridge/contracts';

/** Each app's topic and consumer-group settings, mapped to the contract topic they default to. */
const TOPIC_SETTINGS: Record<string, Record<string, TopicName>> = {
  gateway: {
    GATEWAY_CARDHOLDER_COMMANDS_TOPIC: TOPICS.cardholderCommands,
    GATEWAY_CARD_COMMANDS_TOPIC: TOPICS.cardCommands,
    GATEWAY_CARDHOLDER_EVENTS_TOPIC: TOPICS.cardholderEvents,
    GATEWAY_CARD_EVENTS_TOPIC: TOPICS.cardEvents,
    GATEWAY_KEYSECURE_CALLBACKS_TOPIC: TOPICS.keysecureCallbacks,
    GATEWAY_UQPAY_CALLBACKS_TOPIC: TOPICS.uqpayCallbacks,
  },
  'cardholder-svc': {
    CARDHOLDER_COMMANDS_TOPIC: TOPICS.cardholderCommands,
    CARDHOLDER_EVENTS_TOPIC: TOPICS.cardholderEvents,
    CARDHOLDER_COMMANDS_DLQ_TOPIC: TOPICS.cardholderCommandsDlq,
  },
  'card-svc': {
    CARD_COMMANDS_TOPIC: TOPICS.cardCommands,
    CARD_EVENTS_TOPIC: TOPICS.cardEvents,
    CARD_COMMANDS_DLQ_TOPIC: TOPICS.cardCommandsDlq,
    KEYSECURE_CALLBACKS_TOPIC: TOPICS.keysecureCallbacks,
    UQPAY_CALLBACKS_TOPIC: TOPICS.uqpayCallbacks,
  },
};
const GROUP_SETTINGS: Record<string, string[]> = {
  gateway: ['GATEWAY_READ_MODEL_GROUP'],
  'cardholder-svc': ['CARDHOLDER_SVC_GROUP_ID'],
  'card-svc': ['CARD_COMMAND_GROUP_ID', 'CARD_CALLBACK_GROUP_ID'],
};

export interface IsolatedKafka {
  /** Environment that points the app at its own throwaway topics and consumer groups. */
  env: Record<string, string>;
  /** Deletes the throwaway topics. */
  cleanup(): Promise<void>;
}

/**
 * Throwaway topics (same partition counts as the contract's) and consumer groups for one app, so a
 * test's service never takes other tests' commands from the shared topics.
 */
export async function isolatedKafka(app: string, suffix: string): Promise<IsolatedKafka> {
  const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
  const kafka = new Kafka({ clientId: 'test-isolated', brokers, logLevel: logLevel.NOTHING });
  const env: Record<string, string> = {};
  const topics = Object.entries(TOPIC_SETTINGS[app] ?? {}).map(([variable, topic]) => {
    env[variable] = `it.${suffix}.${topic}`;
    return { topic: env[variable], numPartitions: TOPIC_PARTITIONS[topic], replicationFactor: 1 };
  });
  for (const variable of GROUP_SETTINGS[app] ?? []) env[variable] = `it.${suffix}.${variable.toLowerCase()}`;
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics, waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
  return {
    env,
    async cleanup() {
      const cleaner = kafka.admin();
      await cleaner.connect();
      try {
        // Apps isolated with the same suffix share topics (gateway → services); delete what is left.
        const existing = new Set(await cleaner.listTopics());
        const mine = topics.map((t) => t.topic).filter((t) => existing.has(t));
        if (mine.length > 0) await cleaner.deleteTopics({ topics: mine });
      } finally {
        await cleaner.disconnect();
      }
    },
  };
}
