import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { freePort } from './free-port';
import { waitFor } from './wait-for';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** Environment variable holding each app's HTTP port. */
export const PORT_VARIABLE: Record<string, string> = {
  gateway: 'GATEWAY_PORT',
  'cardholder-svc': 'CARDHOLDER_SVC_PORT',
  'card-svc': 'CARD_SVC_PORT',
  'keysecure-sandbox': 'KEYSECURE_SANDBOX_PORT',
};

export interface ServiceProcess {
  readonly app: string;
  readonly port: number;
  readonly baseUrl: string;
  readonly child: ChildProcess;
  /** Everything the process wrote so far. */
  output(): { stdout: string; stderr: string };
  /** Resolves with the exit code (or the signal name) once the process has ended. */
  exited: Promise<number | NodeJS.Signals>;
  /** Sends a signal (SIGTERM by default) and waits for the exit; kills with SIGKILL after `timeoutMs`. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | NodeJS.Signals>;
}

export interface SpawnServiceOptions {
  /** Extra environment; merged over process.env. Use `undefined` values to remove a variable. */
  env?: Record<string, string | undefined>;
  /** Port to use; a free one by default. */
  port?: number;
}

/** Starts `node -r @swc-node/register apps/<app>/src/main.ts` on a free port; does not wait for it. */
export async function spawnService(
  app: string,
  options: SpawnServiceOptions = {},
): Promise<ServiceProcess> {
  const port = options.port ?? (await freePort());
  const env: Record<string, string | undefined> = {
    ...process.env,
    [PORT_VARIABLE[app] ?? 'PORT']: String(port),
  };
  for (const [key, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  const child = spawn(process.execPath, ['-r', '@swc-node/register', `apps/${app}/src/main.ts`], {
    cwd: REPO_ROOT,
    env: env as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = once(child, 'exit').then(
    ([code, signal]) => (code ?? signal) as number | NodeJS.Signals,
  );

  const stop = async (signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 20000) => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    }
    return exited;
  };

  return {
    app,
    port,
    baseUrl: `http://127.0.0.1:${port}`,
    child,
    output: () => ({ stdout, stderr }),
    exited,
    stop,
  };
}

/**
 * Spawns an app and waits until GET /health/ready answers 200 (60 s by default). If the process
 * exits or the wait times out, it is stopped and the error carries its output.
 */
export async function startService(
  app: string,
  options: SpawnServiceOptions & { readyTimeoutMs?: number; readyPath?: string } = {},
): Promise<ServiceProcess> {
  const service = await spawnService(app, options);
  const readyPath = options.readyPath ?? '/health/ready';
  let exitedEarly = false;
  void service.exited.then(() => (exitedEarly = true));
  try {
    await waitFor(
      async () => {
        if (exitedEarly) throw new ExitedError();
        const response = await fetch(`${service.baseUrl}${readyPath}`);
        return response.status === 200;
      },
      {
        timeoutMs: options.readyTimeoutMs ?? 60000,
        intervalMs: 500,
        description: `${app} ${readyPath}`,
      },
    ).catch((error: Error) => {
      if (exitedEarly) throw new ExitedError();
      throw error;
    });
  } catch (error) {
    await service.stop('SIGKILL');
    const { stdout, stderr } = service.output();
    const reason =
      error instanceof ExitedError ? 'exited before it was ready' : (error as Error).message;
    throw new Error(
      `${app} did not become ready: ${reason}\n--- stdout\n${tail(stdout)}\n--- stderr\n${tail(stderr)}`,
    );
  }
  return service;
}

class ExitedError extends Error {}

function tail(text: string, lines = 40): string {
  return text.split('\n').slice(-lines).join('\n');
}
