import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../support';

// The CI-sized fault suite: its own broker, Postgres, sandbox and apps (nothing shared is touched),
// a short fault cycle, and the verdict must pass. Runs as a child process, as `npm run test:faults` does.
describe('fault suite (CI size)', () => {
  it('nothing lost, nothing doubled, nothing leaked under crashes, restarts and provider faults', async () => {
    const report = path.join(tmpdir(), `ib-faults-ci-${process.pid}.json`);
    const child = spawn(
      process.execPath,
      ['-r', '@swc-node/register', 'test/faults/cli.ts', '--commands', '120', '--seed', '4242',
        '--cycle-scale', '0.6', '--fuzz', '20', '--report', report],
      { cwd: REPO_ROOT, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    let result: { passed: boolean; table: string };
    try {
      result = JSON.parse(readFileSync(report, 'utf8'));
    } catch {
      throw new Error(`the fault suite wrote no report (exit ${code}):\n${output.slice(-6000)}`);
    }
    process.stdout.write(`${result.table}\n`);
    if (code !== 0) process.stdout.write(output.slice(-6000));
    expect(result.passed).toBe(true);
    expect(code).toBe(0);
  }, 600_000);
});
