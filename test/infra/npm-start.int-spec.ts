// `npm start` as a user runs it: all three apps ready within 60 s, and Ctrl-C (SIGINT to the
// terminal's process group) leaves no process behind.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { freePort, isolatedKafka, type IsolatedKafka, REPO_ROOT, waitFor } from '../support';

const marker = `npm-start-${randomUUID()}`;

/** Processes whose environment carries this test's marker: everything `npm start` spawned. */
function markedProcesses(): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (fs.readFileSync(path.join('/proc', entry, 'environ'), 'utf8').includes(marker)) pids.push(Number(entry));
    } catch {
      // the process ended while we looked, or is not ours to read
    }
  }
  return pids;
}

async function isReady(port: number): Promise<boolean> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/health/ready`)).status === 200;
  } catch {
    return false;
  }
}

const isolated: IsolatedKafka[] = [];
afterAll(async () => {
  for (const pid of markedProcesses()) process.kill(pid, 'SIGKILL');
  for (const k of isolated) await k.cleanup(); // one at a time: the three share topic names
});

it('npm start: the three apps report ready within 60 s; Ctrl-C stops every process it started', async () => {
  const suffix = `start-${randomUUID().slice(0, 8)}`;
  for (const app of ['gateway', 'cardholder-svc', 'card-svc']) isolated.push(await isolatedKafka(app, suffix));
  const [gateway, cardholder, card, sandbox] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const env = {
    ...process.env,
    ...Object.assign({}, ...isolated.map((k) => k.env)),
    ISSUING_BRIDGE_TEST_MARKER: marker,
    GATEWAY_PORT: String(gateway),
    CARDHOLDER_SVC_PORT: String(cardholder),
    CARD_SVC_PORT: String(card),
    KEYSECURE_SANDBOX_PORT: String(sandbox),
    KEYSECURE_BASE_URL: `http://127.0.0.1:${sandbox}`,
    KEYSECURE_SANDBOX_CALLBACK_URL: `http://127.0.0.1:${gateway}/callbacks/keysecure`,
  };
  let output = '';
  // detached: its own process group, like a shell job, so SIGINT to the group is Ctrl-C.
  const child = spawn('npm', ['start'], { cwd: REPO_ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<string>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? `exit ${code}`)));

  try {
    await waitFor(async () => (await Promise.all([gateway, cardholder, card].map(isReady))).every(Boolean), {
      timeoutMs: 60_000,
      intervalMs: 500,
      description: 'gateway, cardholder-svc and card-svc ready',
    });
  } catch (err) {
    throw new Error(`${(err as Error).message}\n--- npm start output ---\n${output.slice(-4000)}`);
  }
  expect(markedProcesses().length).toBeGreaterThanOrEqual(5); // npm, start.mjs, sandbox and the three apps

  process.kill(-child.pid!, 'SIGINT');
  // npm itself ends by the SIGINT it received, as in a terminal; start.mjs exits 0 behind it.
  expect(['SIGINT', 'exit 0']).toContain(await exited);
  await waitFor(() => markedProcesses().length === 0, { timeoutMs: 15_000, description: 'no process left' });
  expect(markedProcesses()).toEqual([]);
}, 150_000);
