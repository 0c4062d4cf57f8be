import { stringify } from 'yaml';
import { z } from 'zod';
import {
  COMMAND_KEY_FIELD,
  COMMAND_TYPE_LIST,
  type CommandType,
  cardApplyData,
  commandSchemas,
} from './commands';
import { CLOUDEVENTS_CONTENT_TYPE } from './envelope';
import { EVENT_TYPES, EVENT_TYPE_LIST, type EventType, eventSchemas } from './events';
import { EVENTS_TOPIC_OF_COMMANDS, topicForCommand, topicForEvent } from './routing';
import { DLQ_OF, TOPICS, TOPIC_PARTITIONS, type TopicName } from './topics';

// Builds the generated contract documents in memory. scripts/generate-contracts.ts writes them;
// the unit test compares them with the committed files, so a schema change without regenerating fails.

export const ASYNCAPI_PATH = 'docs/asyncapi.yaml';
export const SCHEMAS_DIR = 'docs/schemas';

type MessageType = CommandType | EventType;
type JsonObject = Record<string, unknown>;

const allSchemas: Record<MessageType, z.ZodType> = { ...commandSchemas, ...eventSchemas };

function toJsonSchema(type: MessageType, target: 'draft-7' | 'draft-2020-12'): JsonObject {
  return z.toJSONSchema(allSchemas[type], {
    target,
    io: 'input',
    unrepresentable: 'any',
    // The BIN/package one-of rule is a refinement zod cannot express; state it in the schema too.
    override: (ctx) => {
      if (ctx.zodSchema === cardApplyData) {
        ctx.jsonSchema.allOf = [
          {
            oneOf: [
              { required: ['card_bin_no'], not: { required: ['package_no'] } },
              { required: ['package_no'], not: { required: ['card_bin_no'] } },
            ],
          },
        ];
      }
    },
  }) as JsonObject;
}

/** JSON Schema (draft 2020-12) of one message envelope, as written to docs/schemas/<type>.json. */
export function jsonSchemaOf(type: MessageType): JsonObject {
  return { $id: `urn:issuing-bridge:schema:${type}`, ...toJsonSchema(type, 'draft-2020-12') };
}

function keyDescription(type: MessageType): string {
  if ((COMMAND_TYPE_LIST as string[]).includes(type))
    return `data.${COMMAND_KEY_FIELD[type as CommandType]}`;
  if (type === EVENT_TYPES.commandRejected) return 'the Kafka key of the rejected command';
  if (type === EVENT_TYPES.keysecureCallbackReceived)
    return 'data.data.card_no when present, else data.id';
  if (type === EVENT_TYPES.uqpayWebhookReceived)
    return 'data.data.card_id when present, else data.source_id, else data.event_id';
  return type.startsWith('cardholder.') ? 'data.cardholder_unique_no' : 'data.card_unique_no';
}

const CHANNEL_IDS: Record<TopicName, string> = {
  [TOPICS.cardholderCommands]: 'cardholderCommands',
  [TOPICS.cardCommands]: 'cardCommands',
  [TOPICS.cardholderEvents]: 'cardholderEvents',
  [TOPICS.cardEvents]: 'cardEvents',
  [TOPICS.keysecureCallbacks]: 'keysecureCallbacks',
  [TOPICS.uqpayCallbacks]: 'uqpayCallbacks',
  [TOPICS.cardholderCommandsDlq]: 'cardholderCommandsDlq',
  [TOPICS.cardCommandsDlq]: 'cardCommandsDlq',
};

function messagesOnTopic(topic: TopicName): MessageType[] {
  const commandTopic = Object.entries(DLQ_OF).find(([, dlq]) => dlq === topic)?.[0] ?? topic;
  const commands = COMMAND_TYPE_LIST.filter((t) => topicForCommand(t) === commandTopic);
  if (commands.length > 0) return commands;
  const events = EVENT_TYPE_LIST.filter(
    (t) => t !== EVENT_TYPES.commandRejected && topicForEvent(t) === topic,
  );
  const answersCommands = Object.values(EVENTS_TOPIC_OF_COMMANDS).includes(topic);
  return answersCommands ? [...events, EVENT_TYPES.commandRejected] : events;
}

const CHANNEL_DESCRIPTIONS: Record<TopicName, string> = {
  [TOPICS.cardholderCommands]: 'Cardholder commands, consumed by cardholder-svc.',
  [TOPICS.cardCommands]: 'Card commands, consumed by card-svc.',
  [TOPICS.cardholderEvents]:
    'Cardholder results, status changes and rejections, published by cardholder-svc.',
  [TOPICS.cardEvents]: 'Card results, status changes and rejections, published by card-svc.',
  [TOPICS.keysecureCallbacks]:
    'Verified KeySecure callbacks, published by the gateway, consumed by card-svc.',
  [TOPICS.uqpayCallbacks]:
    'Verified UQPAY webhooks (one per event_id), published by the gateway, consumed by card-svc.',
  [TOPICS.cardholderCommandsDlq]:
    'Cardholder commands that were rejected or failed past their deadline (replayable).',
  [TOPICS.cardCommandsDlq]:
    'Card commands that were rejected or failed past their deadline (replayable).',
};

// Operations from the services' point of view (this document describes Issuing Bridge as one application).
const OPERATIONS: { id: string; action: 'send' | 'receive'; topic: TopicName; summary: string }[] =
  [
    {
      id: 'receiveCardholderCommands',
      action: 'receive',
      topic: TOPICS.cardholderCommands,
      summary: 'cardholder-svc handles cardholder commands',
    },
    {
      id: 'sendCardholderCommands',
      action: 'send',
      topic: TOPICS.cardholderCommands,
      summary: 'gateway turns HTTP calls into cardholder commands',
    },
    {
      id: 'receiveCardCommands',
      action: 'receive',
      topic: TOPICS.cardCommands,
      summary: 'card-svc handles card commands',
    },
    {
      id: 'sendCardCommands',
      action: 'send',
      topic: TOPICS.cardCommands,
      summary: 'gateway turns HTTP calls into card commands',
    },
    {
      id: 'sendCardholderEvents',
      action: 'send',
      topic: TOPICS.cardholderEvents,
      summary: 'cardholder-svc publishes cardholder events (outbox relay)',
    },
    {
      id: 'receiveCardholderEvents',
      action: 'receive',
      topic: TOPICS.cardholderEvents,
      summary: 'gateway feeds its command-status read model',
    },
    {
      id: 'sendCardEvents',
      action: 'send',
      topic: TOPICS.cardEvents,
      summary: 'card-svc publishes card events (outbox relay)',
    },
    {
      id: 'receiveCardEvents',
      action: 'receive',
      topic: TOPICS.cardEvents,
      summary: 'gateway feeds its command-status read model',
    },
    {
      id: 'sendKeysecureCallbacks',
      action: 'send',
      topic: TOPICS.keysecureCallbacks,
      summary: 'gateway publishes verified callbacks',
    },
    {
      id: 'receiveKeysecureCallbacks',
      action: 'receive',
      topic: TOPICS.keysecureCallbacks,
      summary: 'card-svc applies Card_update callbacks',
    },
    {
      id: 'sendUqpayCallbacks',
      action: 'send',
      topic: TOPICS.uqpayCallbacks,
      summary: 'gateway publishes verified UQPAY webhooks',
    },
    {
      id: 'receiveUqpayCallbacks',
      action: 'receive',
      topic: TOPICS.uqpayCallbacks,
      summary: 'card-svc applies UQPAY card status webhooks',
    },
    {
      id: 'sendCardholderCommandsDlq',
      action: 'send',
      topic: TOPICS.cardholderCommandsDlq,
      summary: 'cardholder-svc dead-letters commands',
    },
    {
      id: 'sendCardCommandsDlq',
      action: 'send',
      topic: TOPICS.cardCommandsDlq,
      summary: 'card-svc dead-letters commands',
    },
  ];

export function buildAsyncApiDocument(): JsonObject {
  const messages: JsonObject = {};
  for (const type of [...COMMAND_TYPE_LIST, ...EVENT_TYPE_LIST]) {
    const { $schema: _ignored, ...payload } = toJsonSchema(type, 'draft-7');
    messages[type] = {
      name: type,
      title: type,
      summary: String(allSchemas[type].meta()?.description ?? type),
      contentType: CLOUDEVENTS_CONTENT_TYPE,
      payload,
      bindings: {
        kafka: {
          key: { type: 'string', description: keyDescription(type) },
          bindingVersion: '0.5.0',
        },
      },
    };
  }
  const channels: JsonObject = {};
  for (const topic of Object.values(TOPICS)) {
    channels[CHANNEL_IDS[topic]] = {
      address: topic,
      description: CHANNEL_DESCRIPTIONS[topic],
      messages: Object.fromEntries(
        messagesOnTopic(topic).map((t) => [t, { $ref: `#/components/messages/${t}` }]),
      ),
      bindings: { kafka: { topic, partitions: TOPIC_PARTITIONS[topic], bindingVersion: '0.5.0' } },
    };
  }
  const operations: JsonObject = {};
  for (const op of OPERATIONS) {
    const channelId = CHANNEL_IDS[op.topic];
    operations[op.id] = {
      action: op.action,
      summary: op.summary,
      channel: { $ref: `#/channels/${channelId}` },
      messages: messagesOnTopic(op.topic).map((t) => ({
        $ref: `#/channels/${channelId}/messages/${t}`,
      })),
    };
  }
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Issuing Bridge messages',
      version: '1.0.0',
      description:
        "Commands and events of Issuing Bridge. CloudEvents 1.0 structured mode; Kafka key = the entity's merchant-side key. " +
        'Generated by `npm run contracts:generate` from libs/contracts; do not edit by hand. ' +
        'A breaking change is a new type version, never an edit.',
    },
    defaultContentType: CLOUDEVENTS_CONTENT_TYPE,
    channels,
    operations,
    components: { messages },
  };
}

/** Every generated file: repository-relative path → exact content. */
export function buildContractFiles(): Map<string, string> {
  const files = new Map<string, string>();
  files.set(
    ASYNCAPI_PATH,
    `# Generated by npm run contracts:generate — do not edit.\n${stringify(buildAsyncApiDocument(), { lineWidth: 0, aliasDuplicateObjects: false })}`,
  );
  for (const type of [...COMMAND_TYPE_LIST, ...EVENT_TYPE_LIST]) {
    files.set(`${SCHEMAS_DIR}/${type}.json`, `${JSON.stringify(jsonSchemaOf(type), null, 2)}\n`);
  }
  return files;
}
