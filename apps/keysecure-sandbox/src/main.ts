/* Runs the KeySecure sandbox from the environment: `npm run sandbox`. */
import { defaultSandboxOptions, startKeySecureSandbox, type SandboxOptions } from './sandbox';

function logLine(event: string, fields: Record<string, unknown>): void {
  process.stdout.write(
    `${JSON.stringify({ time: new Date().toISOString(), service: 'keysecure-sandbox', event, ...fields })}\n`,
  );
}

function intFromEnv(name: string, fallback: number | undefined): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  return Number(raw);
}

function optionsFromEnv(env: NodeJS.ProcessEnv): Partial<SandboxOptions> {
  const callbackUrl =
    env.KEYSECURE_SANDBOX_CALLBACK_URL ?? 'http://127.0.0.1:3000/callbacks/keysecure';
  return {
    port: intFromEnv('KEYSECURE_SANDBOX_PORT', 4010),
    host: env.KEYSECURE_SANDBOX_HOST || '127.0.0.1',
    apiKey: env.KEYSECURE_SANDBOX_API_KEY || defaultSandboxOptions.apiKey,
    apiSecret: env.KEYSECURE_SANDBOX_API_SECRET || defaultSandboxOptions.apiSecret,
    appId: env.KEYSECURE_SANDBOX_APP_ID || undefined,
    disabledApiKeys: (env.KEYSECURE_SANDBOX_DISABLED_API_KEYS ?? '').split(',').filter(Boolean),
    // an empty value turns callbacks off
    callbackUrl: callbackUrl === '' ? undefined : callbackUrl,
    tokenTtlMs: intFromEnv('KEYSECURE_SANDBOX_TOKEN_TTL_MS', defaultSandboxOptions.tokenTtlMs),
    kycStepDelayMs: intFromEnv('KEYSECURE_SANDBOX_KYC_STEP_DELAY_MS', 2_000),
    cardIssueDelayMs: intFromEnv('KEYSECURE_SANDBOX_CARD_ISSUE_DELAY_MS', 2_000),
    rateLimitPerSecond: intFromEnv('KEYSECURE_SANDBOX_RATE_LIMIT_PER_SECOND', undefined),
    log: logLine,
  };
}

async function main(): Promise<void> {
  const options = optionsFromEnv(process.env);
  if (options.appId === undefined) delete options.appId;
  const sandbox = await startKeySecureSandbox(options);
  logLine('started', {
    url: sandbox.url,
    apiKey: sandbox.options.apiKey,
    callbackUrl: sandbox.options.callbackUrl ?? null,
    kycStepDelayMs: sandbox.options.kycStepDelayMs,
    cardIssueDelayMs: sandbox.options.cardIssueDelayMs,
  });
  const stop = (signal: string) => {
    logLine('stopping', { signal });
    sandbox.close().then(
      () => process.exit(0),
      (err: Error) => {
        logLine('stop_failed', { error: err.message });
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

main().catch((err: Error) => {
  logLine('start_failed', { error: err.message });
  process.exit(1);
});
