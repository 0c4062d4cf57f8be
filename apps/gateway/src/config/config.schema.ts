import { z } from 'zod';
import { TOPICS } from '@issuing-bridge/contracts';
import {
  baseConfigShape,
  DEV_GATEWAY_API_KEYS,
  DEV_UQPAY_WEBHOOK_SECRET,
  keyMaterialSetting,
  keysecureClientShape,
  keysecureSecretRules,
  portSetting,
  uqpayWebhookSecretRules,
  withProductionSecretRules,
} from '@issuing-bridge/platform';

// One entry: `system:key` (plain, 8+ characters) or `system:sha256:<64 hex>` (production form: only
// the SHA-256 of the key is configured).
const API_KEY_ENTRY = String.raw`[A-Za-z0-9_.-]+:(?:sha256:[0-9a-fA-F]{64}|[^\s:,]{8,})`;
const API_KEY_LIST = new RegExp(`^${API_KEY_ENTRY}(,${API_KEY_ENTRY})*$`);
const NAME_LIST = /^([A-Za-z0-9_.-]+(,[A-Za-z0-9_.-]+)*)?$/;

export { DEV_UQPAY_WEBHOOK_SECRET } from '@issuing-bridge/platform';

const topicName = (fallback: string) =>
  z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,249}$/, { error: 'must be a Kafka topic name' })
    .default(fallback);

const positiveInt = (fallback: number, rule: string) =>
  z.coerce.number({ error: rule }).int({ error: rule }).positive({ error: rule }).default(fallback);

export const configSchema = withProductionSecretRules(
  z.object({
    ...baseConfigShape,
    GATEWAY_PORT: portSetting(3000),
    // Needed to verify KeySecure callback signatures (appId = Api-Key, HMAC key = apiSecret).
    KEYSECURE_API_KEY: keysecureClientShape.KEYSECURE_API_KEY,
    KEYSECURE_API_SECRET: keysecureClientShape.KEYSECURE_API_SECRET,
    /** Seals CVV / PIN on receipt. */
    CARD_DATA_PUBLIC_KEY: keyMaterialSetting,
    /**
     * `system:key` or `system:sha256:<hex of SHA-256(key)>` pairs, comma-separated; each calling
     * system has its own key (8+ characters).
     */
    GATEWAY_API_KEYS: z
      .string()
      .regex(API_KEY_LIST, {
        error:
          'must be comma-separated system:key or system:sha256:<64 hex> pairs, keys of 8+ characters',
      })
      .default(DEV_GATEWAY_API_KEYS),
    /** Systems whose key is known but switched off (answered 403), comma-separated names. */
    GATEWAY_DISABLED_API_CLIENTS: z
      .string()
      .regex(NAME_LIST, { error: 'must be comma-separated system names' })
      .default(''),
    /** Requests per API key per window before 429. */
    GATEWAY_RATE_LIMIT: positiveInt(600, 'must be a positive integer'),
    GATEWAY_RATE_LIMIT_WINDOW_MS: positiveInt(60_000, 'must be a positive integer (ms)'),
    /** Accepted |now − Timestamp| of a KeySecure callback. */
    GATEWAY_CALLBACK_TOLERANCE_MS: positiveInt(60_000, 'must be a positive integer (ms)'),
    // Topic overrides, only for isolated test runs (the other services have the same switches).
    GATEWAY_CARDHOLDER_COMMANDS_TOPIC: topicName(TOPICS.cardholderCommands),
    GATEWAY_CARD_COMMANDS_TOPIC: topicName(TOPICS.cardCommands),
    GATEWAY_CARDHOLDER_EVENTS_TOPIC: topicName(TOPICS.cardholderEvents),
    GATEWAY_CARD_EVENTS_TOPIC: topicName(TOPICS.cardEvents),
    GATEWAY_KEYSECURE_CALLBACKS_TOPIC: topicName(TOPICS.keysecureCallbacks),
    GATEWAY_UQPAY_CALLBACKS_TOPIC: topicName(TOPICS.uqpayCallbacks),
    /** HMAC-SHA512 key of UQPAY webhook signatures (x-wk-signature). */
    UQPAY_WEBHOOK_SECRET: z
      .string()
      .min(1, { error: 'must not be empty' })
      .default(DEV_UQPAY_WEBHOOK_SECRET),
    /** Accepted |now − x-wk-timestamp| of a UQPAY webhook. */
    GATEWAY_UQPAY_WEBHOOK_TOLERANCE_MS: positiveInt(300_000, 'must be a positive integer (ms)'),
    /**
     * How long an Idempotency-Key is remembered (default 24 h, as Stripe's API): a retry inside it
     * replays the first request's command; after it the key is new again, and its row is pruned.
     */
    GATEWAY_IDEMPOTENCY_KEY_RETENTION_MS: positiveInt(86_400_000, 'must be a positive integer (ms)'),
    /** Consumer group of the command status read model. */
    GATEWAY_READ_MODEL_GROUP: z.string().min(1).default('gateway-read-model'),
  }),
  {
    ...keysecureSecretRules,
    ...uqpayWebhookSecretRules,
    GATEWAY_API_KEYS: { developmentDefault: DEV_GATEWAY_API_KEYS },
    CARD_DATA_PUBLIC_KEY: {},
  },
);

export type GatewayConfig = z.output<typeof configSchema>;
