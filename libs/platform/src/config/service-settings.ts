import { z } from 'zod';

// Development defaults: the same values as the bundled sandbox's defaults (apps/keysecure-sandbox/src/sandbox.ts).
// Production refuses them.
export const DEV_KEYSECURE_API_KEY = 'ks_sandbox_api_key';
export const DEV_KEYSECURE_API_SECRET = 'ks_sandbox_secret_0123456789abcd';
export const DEV_GATEWAY_API_KEYS = 'dev:dev-api-key';
// The UQPAY sandbox's defaults (apps/uqpay-sandbox/src/sandbox.ts). Production refuses the secret ones.
export const DEV_UQPAY_CLIENT_ID = 'uqpay_sandbox_client';
export const DEV_UQPAY_API_KEY = 'uqpay_sandbox_api_key';
export const DEV_UQPAY_WEBHOOK_SECRET = 'uqpay_sandbox_webhook_secret';

/** Settings of the KeySecure client, shared by the services that call or verify KeySecure. */
export const keysecureClientShape = {
  KEYSECURE_BASE_URL: z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
    .default('http://127.0.0.1:4010'),
  KEYSECURE_API_KEY: z
    .string()
    .min(1, { error: 'must not be empty' })
    .default(DEV_KEYSECURE_API_KEY),
  KEYSECURE_API_SECRET: z
    .string()
    .min(1, { error: 'must not be empty' })
    .default(DEV_KEYSECURE_API_SECRET),
};

export const keysecureSecretRules = {
  KEYSECURE_API_KEY: { developmentDefault: DEV_KEYSECURE_API_KEY },
  KEYSECURE_API_SECRET: { developmentDefault: DEV_KEYSECURE_API_SECRET },
};

/** Production refuses a missing UQPAY_API_KEY or the sandbox's (card-svc, which calls UQPAY). */
export const uqpayClientSecretRules = {
  UQPAY_API_KEY: { developmentDefault: DEV_UQPAY_API_KEY },
};

/** Production refuses a missing UQPAY_WEBHOOK_SECRET or the sandbox's (gateway, which verifies webhooks). */
export const uqpayWebhookSecretRules = {
  UQPAY_WEBHOOK_SECRET: { developmentDefault: DEV_UQPAY_WEBHOOK_SECRET },
};

/** KeySecure reports times in a fixed offset, written `UTC+8` / `UTC-03:30`. */
export const keysecureTimezoneSetting = z
  .string()
  .regex(/^UTC[+-]\d{1,2}(:\d{2})?$/, { error: 'must look like UTC+8 or UTC-03:30' })
  .default('UTC+8');

/** A PEM block or a JWK (JSON) given inline in the environment. Development falls back to config/dev-keys/. */
export const keyMaterialSetting = z
  .string()
  .refine((value) => value.includes('-----BEGIN ') || value.trim().startsWith('{'), {
    error: 'must be a PEM block or a JWK JSON object',
  })
  .optional();
