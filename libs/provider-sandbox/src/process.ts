/* Start-up plumbing of a sandbox run as its own process (`npm run sandbox`, `npm run sandbox:uqpay`). */

export type SandboxLog = (event: string, fields: Record<string, unknown>) => void;

/** One JSON line per event on stdout: `{time, service, event, ...fields}`. */
export function jsonLineLog(service: string): SandboxLog {
  return (event, fields) => {
    process.stdout.write(
      `${JSON.stringify({ time: new Date().toISOString(), service, event, ...fields })}\n`,
    );
  };
}

/** A non-negative integer variable; unset or empty = `fallback`. */
export function intFromEnv<F extends number | undefined>(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: F,
): number | F {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  return Number(raw);
}

/**
 * Starts the sandbox, logs `started` with `describe(sandbox)`, and on SIGTERM/SIGINT logs `stopping`, closes it
 * and exits 0 (1 with `stop_failed` when closing fails). A failed start logs `start_failed` and exits 1.
 */
export function runSandboxProcess<S extends { close(): Promise<void> }>(
  log: SandboxLog,
  start: () => Promise<S>,
  describe: (sandbox: S) => Record<string, unknown>,
): void {
  const main = async () => {
    const sandbox = await start();
    log('started', describe(sandbox));
    const stop = (signal: string) => {
      log('stopping', { signal });
      sandbox.close().then(
        () => process.exit(0),
        (err: Error) => {
          log('stop_failed', { error: err.message });
          process.exit(1);
        },
      );
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  };
  main().catch((err: Error) => {
    log('start_failed', { error: err.message });
    process.exit(1);
  });
}
