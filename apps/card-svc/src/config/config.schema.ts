import { z } from 'zod';
import { TOPICS } from '@issuing-bridge/contracts';
import {
  baseConfigShape,
  DEV_UQPAY_API_KEY,
  DEV_UQPAY_CLIENT_ID,
  keyMaterialSetting,
  keysecureClientShape,
  keysecureSecretRules,
  keysecureTimezoneSetting,
  portSetting,
  uqpayClientSecretRules,
  withProductionSecretRules,
} from '@issuing-bridge/platform';

export { DEV_UQPAY_API_KEY, DEV_UQPAY_CLIENT_ID } from '@issuing-bridge/platform';

const millis = (fallback: number) =>
  z.coerce
    .number({ error: 'must be a whole number of milliseconds' })
    .int({ error: 'must be a whole number of milliseconds' })
    .min(0, { error: 'must be 0 or more' })
    .default(fallback);
const count = (fallback: number, max: number) =>
  z.coerce
    .number({ error: 'must be a whole number' })
    .int({ error: 'must be a whole number' })
    .min(1, { error: 'must be at least 1' })
    .max(max, { error: `must be at most ${max}` })
    .default(fallback);
const topicName = (fallback: string) =>
  z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,249}$/, { error: 'must be a Kafka topic name' })
    .default(fallback);
const flag = (fallback: boolean) =>
  z
    .enum(['true', 'false'], { error: 'must be true or false' })
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true');

export const configSchema = withProductionSecretRules(
  z.object({
    ...baseConfigShape,
    CARD_SVC_PORT: portSetting(3002),
    ...keysecureClientShape,
    /** Offset of the times in KeySecure's card list, used by reconciliation windows. */
    KEYSECURE_TIMEZONE: keysecureTimezoneSetting,
    // UQPAY (cards created at UQPAY, activated through the bridge). Defaults: the local UQPAY sandbox.
    UQPAY_BASE_URL: z
      .url({ error: 'must be an http(s) URL including /api' })
      .default('http://127.0.0.1:4020/api'),
    UQPAY_CLIENT_ID: z.string().min(1, { error: 'must not be empty' }).default(DEV_UQPAY_CLIENT_ID),
    UQPAY_API_KEY: z.string().min(1, { error: 'must not be empty' }).default(DEV_UQPAY_API_KEY),
    UQPAY_CALLBACKS_TOPIC: topicName(TOPICS.uqpayCallbacks),
    /** Opens CVV / PIN sealed by the gateway. */
    CARD_DATA_PRIVATE_KEY: keyMaterialSetting,
    // Topics default to the contracts' names; overriding them is for isolated test runs only.
    CARD_COMMANDS_TOPIC: topicName(TOPICS.cardCommands),
    CARD_EVENTS_TOPIC: topicName(TOPICS.cardEvents),
    CARD_COMMANDS_DLQ_TOPIC: topicName(TOPICS.cardCommandsDlq),
    KEYSECURE_CALLBACKS_TOPIC: topicName(TOPICS.keysecureCallbacks),
    CARD_COMMAND_GROUP_ID: z.string().min(1).default('card-svc'),
    CARD_CALLBACK_GROUP_ID: z.string().min(1).default('card-svc.callbacks'),
    /** Where a consumer group without committed offsets starts: true = earliest, false = latest. */
    CARD_CONSUME_FROM_BEGINNING: flag(true),
    /**
     * Consumer group session timeout of the command and callback consumers: a SIGKILLed instance's
     * partitions move after this long. Kafka refuses less than 6000 (group.min.session.timeout.ms).
     */
    CARD_CONSUMER_SESSION_TIMEOUT_MS: z.coerce
      .number({ error: 'must be a whole number of milliseconds' })
      .int({ error: 'must be a whole number of milliseconds' })
      .min(6_000, { error: 'must be at least 6000' })
      .max(300_000, { error: 'must be at most 300000' })
      .default(30_000),
    /** How long a command may be retried on transient provider faults before it fails. */
    CARD_COMMAND_DEADLINE_MS: millis(60_000),
    /**
     * How long a processed command's inbox row is kept (default 30 days). Must be longer than the
     * command topic's Kafka retention (7 days by default): a redelivered command is recognised only
     * while its row exists. At least 1 hour.
     */
    CARD_INBOX_RETENTION_MS: millis(30 * 24 * 3_600_000).pipe(
      z.number().min(3_600_000, { error: 'must be at least 3600000 (1 hour)' }),
    ),
    /** How long shutdown waits for in-flight commands before leaving them uncommitted (redelivered later). */
    CARD_SHUTDOWN_GRACE_MS: millis(5_000),
    /** How often the issuance poller looks for due cards (0 = poller off). */
    CARD_ISSUANCE_POLL_INTERVAL_MS: millis(1_000),
    /** First delay between two detail polls of one Pending card; doubles up to the max. */
    CARD_ISSUANCE_BACKOFF_START_MS: millis(1_000),
    CARD_ISSUANCE_BACKOFF_MAX_MS: millis(60_000),
    /** How long one instance holds a claimed card before another may poll it. */
    CARD_ISSUANCE_LEASE_MS: millis(30_000),
    /** Scheduled reconciliation interval (0 = only on demand). */
    CARD_RECONCILE_INTERVAL_MS: millis(3_600_000),
    /** How far back a fresh reconciliation run starts. */
    CARD_RECONCILE_LOOKBACK_DAYS: count(30, 3650),
    /** Width of one card-list time window (the provider allows at most 90 days). */
    CARD_RECONCILE_WINDOW_DAYS: count(90, 90),
    /** Rows per card-list page (the provider allows at most 100). */
    CARD_RECONCILE_PAGE_SIZE: count(100, 100),
  }),
  { ...keysecureSecretRules, ...uqpayClientSecretRules, CARD_DATA_PRIVATE_KEY: {} },
);

export type CardSvcConfig = z.output<typeof configSchema>;
