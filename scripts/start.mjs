// `npm start`: the whole system on a laptop. Brings Kafka, Postgres and the topics up, then runs the
// KeySecure sandbox and the three services from source with prefixed, coloured logs. Ctrl-C stops
// every process it started, the broker too when this run started it. An app whose main.ts does not
// exist yet is skipped with a warning.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
require('@swc-node/register');
const infra = require('./infra/index.ts');
const { concurrently } = require('concurrently');

// Sandbox first: the services call it at start-up (token) and it calls the gateway back.
const APPS = [
  { name: 'sandbox', dir: 'keysecure-sandbox', color: 'magenta' },
  { name: 'gateway', dir: 'gateway', color: 'cyan' },
  { name: 'cardholder', dir: 'cardholder-svc', color: 'green' },
  { name: 'card', dir: 'card-svc', color: 'yellow' },
];

const handle = await infra.ensureInfrastructure().catch((err) => {
  console.error(`[start] infrastructure failed: ${err.message}`);
  process.exit(1);
});

const env = {
  ...process.env,
  KAFKA_BROKERS: handle.brokers.join(','),
  DATABASE_URL: handle.databaseUrl,
};
const commands = [];
for (const app of APPS) {
  const main = path.join('apps', app.dir, 'src', 'main.ts');
  if (!fs.existsSync(path.join(root, main))) {
    console.warn(`[start] skipping ${app.dir}: ${main} does not exist yet`);
    continue;
  }
  commands.push({
    name: app.name,
    prefixColor: app.color,
    command: `"${process.execPath}" -r @swc-node/register ${main}`,
    cwd: root,
    env,
  });
}

let exitCode = 0;
if (commands.length === 0) {
  console.warn('[start] no app to run yet; infrastructure is up');
} else {
  // On Ctrl-C concurrently forwards the signal to every app (and SIGKILLs stragglers after killTimeout);
  // its result settles once all have exited. One app crashing stops the others: a half system misleads.
  const { result } = concurrently(commands, {
    prefix: 'name',
    killOthersOn: ['failure'],
    killSignal: 'SIGTERM',
    killTimeout: 10_000,
    handleInput: false,
  });
  exitCode = await result.then(
    () => 0,
    (events) => {
      const interrupted = events.every(
        (e) => e.killed || e.exitCode === 'SIGINT' || e.exitCode === 'SIGTERM',
      );
      return interrupted ? 0 : 1;
    },
  );
}

if (handle.startedBroker) {
  if (commands.length === 0) {
    // Nothing else holds the terminal: keep the broker until Ctrl-C, then stop it.
    console.log('[start] Kafka runs until Ctrl-C');
    await new Promise((resolve) => process.once('SIGINT', resolve).once('SIGTERM', resolve));
  }
  await infra
    .stopInfrastructure()
    .catch((err) => console.error(`[start] could not stop Kafka: ${err.message}`));
}
process.exit(exitCode);
