import { fork } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { Pool } from 'pg';
import { BASE_DATABASE_URL, BROKERS, createBenchTopics, deleteTopics, type BenchTopics } from './environment';
import { ProcSampler, round, type ProcessUsage } from './proc-stats';
import { ProgressBar } from './progress';
import { EventCollector, connectProducer, kycCommands, runLoad, type RunResult } from './workload';

export interface KafkaCeiling {
  runs: RunResult[];
  processes: ProcessUsage[];
}

/**
 * Bare kafkajs round trip: bench → command topic → echo child (no processing) → events topic → bench,
 * on throwaway topics with the contract's partition counts. Same commands and the same collector as
 * the services' runs, so the only difference is the processing.
 */
export async function kafkaCeiling(id: string, n: number, rates: number[]): Promise<KafkaCeiling> {
  const topics: BenchTopics = await createBenchTopics(`bench.${id}`);
  const echo = fork(path.join(__dirname, 'echo-relay.ts'), [BROKERS.join(','), topics.cardholderCommands, topics.cardholderEvents, `bench.${id}.echo`], {
    execArgv: ['-r', '@swc-node/register'],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const sampler = new ProcSampler();
  const collector = new EventCollector([topics.cardholderEvents], `bench.${id}.collector`, true);
  const producer = await connectProducer();
  const runs: RunResult[] = [];
  let processes: ProcessUsage[] = [];
  try {
    await Promise.all([once(echo, 'message'), collector.start()]);
    sampler.watch('echo-relay', echo.pid);
    sampler.watch('bench', process.pid);
    sampler.start();
    runs.push(await runLoad('ceiling kafka max', producer, collector, kycCommands(topics, `${id}m`, n), 'max'));
    for (const rate of rates) {
      const count = Math.max(50, Math.round(rate * rateSeconds(n, rate)));
      runs.push(await runLoad(`ceiling kafka ${rate}/s`, producer, collector, kycCommands(topics, `${id}r${rate}`, count), rate));
    }
  } finally {
    processes = sampler.stop();
    echo.kill('SIGTERM');
    await once(echo, 'exit');
    await producer.disconnect();
    await collector.stop();
    await deleteTopics(Object.values(topics));
  }
  return { runs, processes };
}

/** Seconds a fixed-rate run lasts: long enough for a steady state, short in quick mode. */
export function rateSeconds(n: number, rate: number): number {
  return Math.min(10, Math.max(2, n / rate));
}

export interface PostgresCeiling {
  transactions: number;
  connections: number;
  seconds: number;
  commitsPerSecond: number;
}

/**
 * Postgres commit rate of the services' write pattern: one transaction per command with an inbox row,
 * a state row and an outbox row (same column shapes: ids, hashes, a JSON payload), `connections` at once.
 */
export async function postgresCeiling(id: string, transactions: number, connections = 10): Promise<PostgresCeiling> {
  const schema = `bench_${id.replace(/[^a-z0-9_]/gi, '_')}`;
  const pool = new Pool({ connectionString: BASE_DATABASE_URL, max: connections });
  const payload = JSON.stringify({ type: 'cardholder.kyc.applied.v1', data: { cardholder_no: 'U2026', status: 'Pending' }, pad: 'x'.repeat(400) });
  try {
    await pool.query(`CREATE SCHEMA "${schema}"`);
    await pool.query(`CREATE TABLE "${schema}".inbox (command_id uuid, payload_hash text, handled_at timestamptz DEFAULT now(), PRIMARY KEY (command_id, payload_hash))`);
    await pool.query(`CREATE TABLE "${schema}".state (unique_no text PRIMARY KEY, provider_no text, status text, version int, updated_at timestamptz DEFAULT now())`);
    await pool.query(`CREATE TABLE "${schema}".outbox (id bigserial PRIMARY KEY, topic text, key text, value jsonb, created_at timestamptz DEFAULT now(), sent_at timestamptz)`);
    const bar = new ProgressBar('ceiling postgres', transactions);
    let next = 0;
    const start = process.hrtime.bigint();
    const worker = async () => {
      const client = await pool.connect();
      try {
        while (next < transactions) {
          const i = next++;
          await client.query('BEGIN');
          await client.query(`INSERT INTO "${schema}".inbox (command_id, payload_hash) VALUES (gen_random_uuid(), md5($1))`, [String(i)]);
          await client.query(`INSERT INTO "${schema}".state (unique_no, provider_no, status, version) VALUES ($1, $2, 'Pending', 1)`, [`H${i}`, `U${i}`]);
          await client.query(`INSERT INTO "${schema}".outbox (topic, key, value) VALUES ('t', $1, $2)`, [`H${i}`, payload]);
          await client.query('COMMIT');
          bar.update(i + 1);
        }
      } finally {
        client.release();
      }
    };
    await Promise.all(Array.from({ length: connections }, worker));
    bar.done();
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    return { transactions, connections, seconds: round(seconds), commitsPerSecond: Math.round(transactions / seconds) };
  } finally {
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    await pool.end();
  }
}
