// `npm test`: bring the infrastructure up when it is down, run the unit project, then the integration
// project in band (one shared broker and database), and stop the broker again if this run started it
// (KEEP_INFRA=1 keeps it). Extra arguments go to both jest runs, e.g. `npm test -- apps/card-svc`.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
require('@swc-node/register');
const infra = require('./infra/index.ts');

const extra = process.argv.slice(2);
const jestBin = require.resolve('jest/bin/jest');

// Counts from jest's JSON report, for the one-line total at the end.
const totals = { passed: 0, failed: 0, skipped: 0, brokenSuites: 0 };
const reportDir = fs.mkdtempSync(path.join(os.tmpdir(), 'issuing-bridge-jest-'));

function addReport(file) {
  try {
    const r = JSON.parse(fs.readFileSync(file, 'utf8'));
    totals.passed += r.numPassedTests;
    totals.failed += r.numFailedTests;
    totals.skipped += r.numPendingTests + (r.numTodoTests ?? 0);
    totals.brokenSuites += r.numRuntimeErrorTestSuites;
  } catch {
    // jest died before writing a report; its exit code already says so.
  }
}

async function runJest(name, args) {
  const report = path.join(reportDir, `${name}.json`);
  const code = await spawnJest([...args, '--json', `--outputFile=${report}`]);
  addReport(report);
  return code;
}

function spawnJest(args) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [jestBin, ...args], {
      cwd: root,
      stdio: 'inherit',
      env: process.env,
    });
    const forward = (signal) => child.kill(signal);
    process.on('SIGINT', forward).on('SIGTERM', forward);
    child.on('exit', (code, signal) => {
      process.off('SIGINT', forward).off('SIGTERM', forward);
      resolve(code ?? (signal ? 1 : 0));
    });
  });
}

let handle;
let exitCode = 1;
try {
  handle = await infra.ensureInfrastructure();
  process.env.KAFKA_BROKERS = handle.brokers.join(',');
  process.env.DATABASE_URL = handle.databaseUrl;
  // With a path filter one project may have nothing to run; that is not a failure.
  const filterArgs = extra.length > 0 ? ['--passWithNoTests'] : [];
  const unit = await runJest('unit', [...extra, ...filterArgs, '--selectProjects', 'unit']);
  // Jest reads testTimeout only from the global config, so the integration project's own 120 s in
  // jest.config.js is ignored; give it on the command line unless the caller chose one.
  const timeoutArgs = extra.some((a) => a.startsWith('--testTimeout'))
    ? []
    : ['--testTimeout=120000'];
  const integration = await runJest('integration', [
    ...extra,
    ...filterArgs,
    ...timeoutArgs,
    '--runInBand',
    '--selectProjects',
    'integration',
  ]);
  console.log(
    `\nunit: ${unit === 0 ? 'passed' : 'FAILED'}, integration: ${integration === 0 ? 'passed' : 'FAILED'}`,
  );
  if (totals.brokenSuites > 0) console.log(`${totals.brokenSuites} test file(s) failed to run`);
  const skipped = totals.skipped > 0 ? `, ${totals.skipped} skipped` : '';
  // The plain closing line CI tools read: "tests: N passed, N failed".
  console.log(
    `tests: ${totals.passed} passed, ${totals.failed + totals.brokenSuites} failed${skipped}`,
  );
  exitCode = unit === 0 && integration === 0 ? 0 : 1;
} catch (err) {
  console.error(`[test] ${err instanceof Error ? err.message : String(err)}`);
  exitCode = 1;
} finally {
  if (handle?.startedBroker && process.env.KEEP_INFRA !== '1') {
    await infra
      .stopInfrastructure()
      .catch((err) => console.error(`[test] could not stop Kafka: ${err.message}`));
  }
}
fs.rmSync(reportDir, { recursive: true, force: true });
process.exit(exitCode);
