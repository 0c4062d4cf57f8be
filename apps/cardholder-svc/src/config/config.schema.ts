import { z } from 'zod';
import {
  baseConfigShape,
  keysecureClientShape,
  keysecureSecretRules,
  portSetting,
  withProductionSecretRules,
} from '@issuing-bridge/platform';
import { cardholderSettingsShape } from '../cardholders/cardholder.settings';

const HOUR_MS = 3_600_000;
/** A retention period in milliseconds, one hour at least. */
const retentionMillis = (fallback: number) =>
  z.coerce
    .number({ error: 'must be a whole number of milliseconds' })
    .int({ error: 'must be a whole number of milliseconds' })
    .min(HOUR_MS, { error: `must be at least ${HOUR_MS} (1 hour)` })
    .default(fallback);

export const configSchema = withProductionSecretRules(
  z.object({
    ...baseConfigShape,
    CARDHOLDER_SVC_PORT: portSetting(3001),
    ...keysecureClientShape,
    ...cardholderSettingsShape,
    /**
     * How long a processed command's inbox row is kept (default 30 days). Must be longer than the
     * command topic's Kafka retention (7 days by default): a redelivered command is recognised only
     * while its row exists. At least 1 hour.
     */
    CARDHOLDER_INBOX_RETENTION_MS: retentionMillis(30 * 24 * HOUR_MS),
  }),
  keysecureSecretRules,
);

export type CardholderSvcConfig = z.output<typeof configSchema>;
