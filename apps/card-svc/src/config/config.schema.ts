import { z } from 'zod';
import {
  baseConfigShape,
  keyMaterialSetting,
  keysecureClientShape,
  keysecureSecretRules,
  keysecureTimezoneSetting,
  portSetting,
  withProductionSecretRules,
} from '@issuing-bridge/platform';

export const configSchema = withProductionSecretRules(
  z.object({
    ...baseConfigShape,
    CARD_SVC_PORT: portSetting(3002),
    ...keysecureClientShape,
    /** Offset of the times in KeySecure's card list, used by reconciliation windows. */
    KEYSECURE_TIMEZONE: keysecureTimezoneSetting,
    /** Opens CVV / PIN sealed by the gateway. */
    CARD_DATA_PRIVATE_KEY: keyMaterialSetting,
  }),
  { ...keysecureSecretRules, CARD_DATA_PRIVATE_KEY: {} },
);

export type CardSvcConfig = z.output<typeof configSchema>;
