import { z } from 'zod';
import {
  baseConfigShape,
  keysecureClientShape,
  keysecureSecretRules,
  portSetting,
  withProductionSecretRules,
} from '@issuing-bridge/platform';
import { cardholderSettingsShape } from '../cardholders/cardholder.settings';

export const configSchema = withProductionSecretRules(
  z.object({
    ...baseConfigShape,
    CARDHOLDER_SVC_PORT: portSetting(3001),
    ...keysecureClientShape,
    ...cardholderSettingsShape,
  }),
  keysecureSecretRules,
);

export type CardholderSvcConfig = z.output<typeof configSchema>;
