import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { OpenApiCaller } from './test-caller';

describe('npm run sandbox (main.ts)', () => {
  it('starts from the environment, logs JSON lines without secrets, stops on SIGTERM', async () => {
    const secret = 'env_secret_for_main_test_0123456';
    const child = spawn(
      process.execPath,
      ['-r', '@swc-node/register', join(__dirname, 'main.ts')],
      {
        cwd: join(__dirname, '../../..'),
        env: {
          ...process.env,
          KEYSECURE_SANDBOX_PORT: '0',
          KEYSECURE_SANDBOX_API_KEY: 'env_api_key',
          KEYSECURE_SANDBOX_API_SECRET: secret,
          KEYSECURE_SANDBOX_CALLBACK_URL: '',
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const lines: Array<Record<string, unknown>> = [];
    const rl = createInterface({ input: child.stdout });
    const started = new Promise<string>((resolve) =>
      rl.on('line', (line) => {
        const entry = JSON.parse(line) as Record<string, unknown>;
        lines.push(entry);
        if (entry.event === 'started') resolve(entry.url as string);
      }),
    );
    try {
      const url = await started;
      const api = new OpenApiCaller(url, 'env_api_key');
      const token = await api.login();
      expect(
        (await api.call('GET', '/merchant/token', undefined, { 'Api-Key': 'ks_sandbox_api_key' }))
          .code,
      ).toBe(1008);
      child.kill('SIGTERM');
      const [code] = await once(child, 'exit');
      expect(code).toBe(0);
      expect(lines.map((l) => l.event)).toEqual(['started', 'call', 'call', 'stopping']);
      expect(lines[0]).toMatchObject({ callbackUrl: null, apiKey: 'env_api_key' });
      const all = JSON.stringify(lines);
      expect(all).not.toContain(token);
      expect(all).not.toContain(secret);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
