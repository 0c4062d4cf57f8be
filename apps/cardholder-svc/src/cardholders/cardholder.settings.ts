import { z } from 'zod';
import { DLQ_OF, TOPICS } from '@issuing-bridge/contracts';

const positiveMs = (fallback: number) =>
  z.coerce
    .number({ error: 'must be a number of milliseconds' })
    .int({ error: 'must be a whole number of milliseconds' })
    .positive({ error: 'must be greater than 0' })
    .default(fallback);

/**
 * Settings of the cardholders feature (spread into the app's config schema). Poll intervals follow
 * KYC, which KeySecure reports only by polling; the command settings bound the engine's retries.
 */
export const cardholderSettingsShape = {
  /**
   * Topics default to the contract's (libs/contracts topics.ts). Overriding them is for isolated test
   * runs on a shared broker, where another instance of this service must not take the test's commands.
   */
  CARDHOLDER_COMMANDS_TOPIC: z.string().min(1, { error: 'must not be empty' }).default(TOPICS.cardholderCommands),
  CARDHOLDER_EVENTS_TOPIC: z.string().min(1, { error: 'must not be empty' }).default(TOPICS.cardholderEvents),
  CARDHOLDER_COMMANDS_DLQ_TOPIC: z
    .string()
    .min(1, { error: 'must not be empty' })
    .default(DLQ_OF[TOPICS.cardholderCommands] ?? TOPICS.cardholderCommandsDlq),
  /** Kafka consumer group of the command consumer; every instance of the service shares it. */
  CARDHOLDER_SVC_GROUP_ID: z.string().min(1, { error: 'must not be empty' }).default('cardholder-svc'),
  /**
   * How long the broker waits for a silent instance before giving its partitions to the others
   * (a SIGKILLed instance's partitions stay idle this long). Kafka accepts 6 s and more by default.
   */
  CARDHOLDER_CONSUMER_SESSION_TIMEOUT_MS: z.coerce.number().int().min(6_000, { error: 'must be at least 6000' }).default(30_000),
  /** A command whose provider calls keep failing transiently fails for good after this long. */
  CARDHOLDER_COMMAND_DEADLINE_MS: positiveMs(60_000),
  /** Cap of one backoff delay between command attempts. */
  CARDHOLDER_COMMAND_RETRY_MAX_MS: positiveMs(5_000),
  /**
   * Commands taken and not finished, over all keys (bounds memory and provider concurrency). At the
   * limit the engine holds the fetch loop (no kafkajs pause/resume), so a small limit costs no fetch wait.
   */
  CARDHOLDER_MAX_IN_FLIGHT: z.coerce.number().int().min(1, { error: 'must be at least 1' }).default(64),
  /** First delay before polling a cardholder whose KYC is not final; doubles per unchanged poll. */
  KYC_POLL_INITIAL_MS: positiveMs(5_000),
  /** Longest delay between two polls of one cardholder. */
  KYC_POLL_MAX_MS: positiveMs(300_000),
  /** How often the poller looks for due cardholders. */
  KYC_POLL_TICK_MS: positiveMs(1_000),
  /** How long a claimed cardholder stays reserved for one instance (a dead instance's claims return after it). */
  KYC_POLL_LEASE_MS: positiveMs(30_000),
  /** Cardholders claimed per tick. */
  KYC_POLL_BATCH_SIZE: z.coerce.number().int().min(1, { error: 'must be at least 1' }).default(20),
  /**
   * Provider codes meaning "cardholder_unique_no already exists" (undocumented; 2001 is the bundled
   * sandbox's choice). Comma-separated integers.
   */
  KEYSECURE_CARDHOLDER_EXISTS_CODES: z
    .string()
    .regex(/^\d+(,\d+)*$/, { error: 'must be comma-separated integers, e.g. 2001' })
    .default('2001')
    .transform((s) => s.split(',').map(Number)),
  /**
   * Test hook: the process kills itself (SIGKILL) right after the provider accepted a create for this
   * cardholder_unique_no, before the transaction commits. Ignored when NODE_ENV=production.
   */
  CARDHOLDER_TEST_CRASH_AFTER_PROVIDER_CALL: z.string().min(1).optional(),
};
