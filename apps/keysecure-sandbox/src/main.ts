/* Runs the KeySecure sandbox from the environment: `npm run sandbox`. */
import { intFromEnv, jsonLineLog, runSandboxProcess } from '@issuing-bridge/provider-sandbox';
import { defaultSandboxOptions, startKeySecureSandbox, type SandboxOptions } from './sandbox';

const logLine = jsonLineLog('keysecure-sandbox');

function optionsFromEnv(env: NodeJS.ProcessEnv): Partial<SandboxOptions> {
  const callbackUrl =
    env.KEYSECURE_SANDBOX_CALLBACK_URL ?? 'http://127.0.0.1:3000/callbacks/keysecure';
  return {
    port: intFromEnv(env, 'KEYSECURE_SANDBOX_PORT', 4010),
    host: env.KEYSECURE_SANDBOX_HOST || '127.0.0.1',
    apiKey: env.KEYSECURE_SANDBOX_API_KEY || defaultSandboxOptions.apiKey,
    apiSecret: env.KEYSECURE_SANDBOX_API_SECRET || defaultSandboxOptions.apiSecret,
    appId: env.KEYSECURE_SANDBOX_APP_ID || undefined,
    disabledApiKeys: (env.KEYSECURE_SANDBOX_DISABLED_API_KEYS ?? '').split(',').filter(Boolean),
    // an empty value turns callbacks off
    callbackUrl: callbackUrl === '' ? undefined : callbackUrl,
    tokenTtlMs: intFromEnv(env, 'KEYSECURE_SANDBOX_TOKEN_TTL_MS', defaultSandboxOptions.tokenTtlMs),
    kycStepDelayMs: intFromEnv(env, 'KEYSECURE_SANDBOX_KYC_STEP_DELAY_MS', 2_000),
    cardIssueDelayMs: intFromEnv(env, 'KEYSECURE_SANDBOX_CARD_ISSUE_DELAY_MS', 2_000),
    rateLimitPerSecond: intFromEnv(env, 'KEYSECURE_SANDBOX_RATE_LIMIT_PER_SECOND', undefined),
    log: logLine,
  };
}

runSandboxProcess(
  logLine,
  () => {
    const options = optionsFromEnv(process.env);
    if (options.appId === undefined) delete options.appId;
    return startKeySecureSandbox(options);
  },
  (sandbox) => ({
    url: sandbox.url,
    apiKey: sandbox.options.apiKey,
    callbackUrl: sandbox.options.callbackUrl ?? null,
    kycStepDelayMs: sandbox.options.kycStepDelayMs,
    cardIssueDelayMs: sandbox.options.cardIssueDelayMs,
  }),
);
