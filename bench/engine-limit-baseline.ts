/*
 * `node -r @swc-node/register bench/engine-limit-baseline.ts [n]` — a side measurement for
 * docs/benchmark.md, not part of `npm run bench`: cardholder-svc KYC with the engine's own limit
 * CARDHOLDER_MAX_IN_FLIGHT=1, i.e. one command at a time for the whole service. That is what Nest's
 * default ServerKafka does (kafkajs `partitionsConsumedConcurrently` defaults to 1), whereas the
 * bench's baseline (SequentialGate) allows one per partition (6).
 */
import { ensureInfrastructure } from '../scripts/infra';
import { setProviderLatency, startSandbox } from './environment';
import { startStack } from './stack';
import { EventCollector, connectProducer, kycCommands, newRunId, runLoad } from './workload';

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 200);
  const run = newRunId();
  await ensureInfrastructure();
  const sandbox = await startSandbox();
  try {
    const stack = await startStack({
      id: `${run}.one`,
      sandboxUrl: sandbox.baseUrl,
      withCardSvc: false,
      cardholderEnv: { CARDHOLDER_MAX_IN_FLIGHT: '1' },
    });
    try {
      const collector = new EventCollector([stack.topics.cardholderEvents], `bench.${run}.one.collector`);
      const producer = await connectProducer();
      await collector.start();
      try {
        for (const latency of [0, 50]) {
          await setProviderLatency(sandbox, latency);
          const r = await runLoad(`maxInFlight=1 kyc ${latency}ms max`, producer, collector, kycCommands(stack.topics, `${run}o${latency}`, n), 'max', 120_000);
          process.stdout.write(`${JSON.stringify({ providerLatencyMs: latency, ...r })}\n`);
        }
      } finally {
        await collector.stop();
        await producer.disconnect();
      }
    } finally {
      await stack.close();
    }
  } finally {
    await sandbox.stop();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${String(e)}\n`);
  process.exit(1);
});
