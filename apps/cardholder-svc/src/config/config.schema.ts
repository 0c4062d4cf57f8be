import { z } from 'zod';
import {
  baseConfigShape,
  keysecureClientShape,
  keysecureSecretRules,
  portSetting,
  withProductionSecretRules,
} from '@issuing-bridge/platform';

export const configSchema = withProductionSecretRules(
  z.object({
    ...baseConfigShape,
    CARDHOLDER_SVC_PORT: portSetting(3001),
    ...keysecureClientShape,
  }),
  keysecureSecretRules,
);

export type CardholderSvcConfig = z.output<typeof configSchema>;
