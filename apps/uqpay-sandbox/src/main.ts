/* Runs the UQPAY sandbox from the environment: `npm run sandbox:uqpay`. */
import { intFromEnv, jsonLineLog, runSandboxProcess } from '@issuing-bridge/provider-sandbox';
import { defaultUqpaySandboxOptions, startUqpaySandbox, type UqpaySandboxOptions } from './sandbox';

const logLine = jsonLineLog('uqpay-sandbox');

export function optionsFromEnv(env: NodeJS.ProcessEnv): Partial<UqpaySandboxOptions> {
  const d = defaultUqpaySandboxOptions;
  const webhookUrl = env.UQPAY_SANDBOX_WEBHOOK_URL ?? 'http://127.0.0.1:3000/callbacks/uqpay';
  const unit = env.UQPAY_SANDBOX_WEBHOOK_TIMESTAMP_UNIT || 'ms';
  if (unit !== 'ms' && unit !== 's')
    throw new Error(`UQPAY_SANDBOX_WEBHOOK_TIMESTAMP_UNIT must be ms or s, got "${unit}"`);
  return {
    port: intFromEnv(env, 'UQPAY_SANDBOX_PORT', 4020),
    host: env.UQPAY_SANDBOX_HOST || '127.0.0.1',
    clientId: env.UQPAY_SANDBOX_CLIENT_ID || d.clientId,
    apiKey: env.UQPAY_SANDBOX_API_KEY || d.apiKey,
    tokenTtlMs: intFromEnv(env, 'UQPAY_SANDBOX_TOKEN_TTL_MS', d.tokenTtlMs),
    subAccounts: (env.UQPAY_SANDBOX_SUB_ACCOUNTS ?? '').split(',').filter(Boolean),
    // an empty value turns webhooks off
    webhookUrl: webhookUrl === '' ? undefined : webhookUrl,
    webhookSecret: env.UQPAY_SANDBOX_WEBHOOK_SECRET ?? d.webhookSecret,
    webhookTimestampUnit: unit,
    statusChangeDelayMs: intFromEnv(env, 'UQPAY_SANDBOX_STATUS_CHANGE_DELAY_MS', 500),
    seed: env.UQPAY_SANDBOX_SEED !== 'false',
    log: logLine,
  };
}

if (require.main === module) {
  runSandboxProcess(
    logLine,
    () => startUqpaySandbox(optionsFromEnv(process.env)),
    (sandbox) => ({
      url: sandbox.url,
      apiBaseUrl: sandbox.apiBaseUrl,
      clientId: sandbox.options.clientId,
      webhookUrl: sandbox.options.webhookUrl ?? null,
      seed: sandbox.options.seed,
    }),
  );
}
