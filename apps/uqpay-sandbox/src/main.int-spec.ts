/** `npm run sandbox:uqpay` as a real process: starts from the environment, serves the seed card, exits 0 on SIGTERM. */
import { spawn } from 'node:child_process';
import { request } from 'undici';

it('starts on the configured port with the seed card and stops cleanly on SIGTERM', async () => {
  const child = spawn(
    process.execPath,
    ['-r', '@swc-node/register', 'apps/uqpay-sandbox/src/main.ts'],
    {
      cwd: `${__dirname}/../../..`,
      env: { ...process.env, UQPAY_SANDBOX_PORT: '0', UQPAY_SANDBOX_WEBHOOK_URL: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  try {
    const started = await new Promise<{ url: string; apiBaseUrl: string; webhookUrl: unknown }>(
      (resolve, reject) => {
        let out = '';
        const timer = setTimeout(() => reject(new Error(`no start line: ${out}`)), 30_000);
        child.stdout.on('data', (c: Buffer) => {
          out += c.toString();
          const line = out.split('\n').find((l) => l.includes('"started"'));
          if (line) {
            clearTimeout(timer);
            resolve(JSON.parse(line));
          }
        });
        child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
      },
    );
    expect(started.webhookUrl).toBeNull();
    const tokenRes = await request(`${started.apiBaseUrl}/v1/connect/token`, {
      method: 'POST',
      headers: { 'x-client-id': 'uqpay_sandbox_client', 'x-api-key': 'uqpay_sandbox_api_key' },
    });
    const { auth_token } = (await tokenRes.body.json()) as { auth_token: string };
    const card = await request(
      `${started.apiBaseUrl}/v1/issuing/cards/5135e6cc-28b6-4889-81dc-3b86a09e1395`,
      {
        headers: { 'x-auth-token': `Bearer ${auth_token}` },
      },
    );
    expect(card.statusCode).toBe(200);
    expect(await card.body.json()).toMatchObject({
      card_status: 'PENDING',
      form_factor: 'PHYSICAL',
    });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});
