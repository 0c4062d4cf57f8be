// npm run test:faults -- [--commands N] [--seed S] [--report file] [--fuzz M] [--concurrency C] [--cycle-scale X]
import { runFaultSuite } from './fault-suite';

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function numberOption(name: string, fallback?: number): number | undefined {
  const raw = option(name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number, got "${raw}"`);
  return value;
}

async function main(): Promise<void> {
  const result = await runFaultSuite({
    commands: numberOption('commands', 2000)!,
    seed: numberOption('seed', Math.floor(Math.random() * 1_000_000))!,
    report: option('report'),
    fuzz: numberOption('fuzz'),
    concurrency: numberOption('concurrency'),
    cycleScale: numberOption('cycle-scale'),
  });
  process.exitCode = result.passed ? 0 : 1;
}

main().then(
  () => process.exit(),
  (error: Error) => {
    process.stderr.write(`[faults] suite error: ${error.stack ?? error.message}\n`);
    process.exit(2);
  },
);
