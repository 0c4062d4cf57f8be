import { z } from 'zod';
import {
  baseConfigShape,
  DEV_GATEWAY_API_KEYS,
  keyMaterialSetting,
  keysecureClientShape,
  keysecureSecretRules,
  portSetting,
  withProductionSecretRules,
} from '@issuing-bridge/platform';

const API_KEY_LIST = /^[A-Za-z0-9_.-]+:[^\s:,]{8,}(,[A-Za-z0-9_.-]+:[^\s:,]{8,})*$/;

export const configSchema = withProductionSecretRules(
  z.object({
    ...baseConfigShape,
    GATEWAY_PORT: portSetting(3000),
    // Needed to verify KeySecure callback signatures.
    KEYSECURE_API_KEY: keysecureClientShape.KEYSECURE_API_KEY,
    KEYSECURE_API_SECRET: keysecureClientShape.KEYSECURE_API_SECRET,
    /** Seals CVV / PIN on receipt. */
    CARD_DATA_PUBLIC_KEY: keyMaterialSetting,
    /** `system:key` pairs, comma-separated; each calling system has its own key (8+ characters). */
    GATEWAY_API_KEYS: z
      .string()
      .regex(API_KEY_LIST, {
        error: 'must be comma-separated system:key pairs, keys of 8+ characters',
      })
      .default(DEV_GATEWAY_API_KEYS),
  }),
  {
    ...keysecureSecretRules,
    GATEWAY_API_KEYS: { developmentDefault: DEV_GATEWAY_API_KEYS },
    CARD_DATA_PUBLIC_KEY: {},
  },
);

export type GatewayConfig = z.output<typeof configSchema>;
