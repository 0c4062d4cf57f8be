/* Runs the UQPAY sandbox from the environment: `npm run sandbox:uqpay`. */
import { defaultUqpaySandboxOptions, startUqpaySandbox, type UqpaySandboxOptions } from './sandbox';

function logLine(event: string, fields: Record<string, unknown>): void {
  process.stdout.write(
    `${JSON.stringify({ time: new Date().toISOString(), service: 'uqpay-sandbox', event, ...fields })}\n`,
  );
}

function intFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  return Number(raw);
}

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

async function main(): Promise<void> {
  const sandbox = await startUqpaySandbox(optionsFromEnv(process.env));
  logLine('started', {
    url: sandbox.url,
    apiBaseUrl: sandbox.apiBaseUrl,
    clientId: sandbox.options.clientId,
    webhookUrl: sandbox.options.webhookUrl ?? null,
    seed: sandbox.options.seed,
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

if (require.main === module) {
  main().catch((err: Error) => {
    logLine('start_failed', { error: err.message });
    process.exit(1);
  });
}
