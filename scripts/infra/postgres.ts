// Local Postgres: start Debian's cluster when it is down, create the project's database when missing.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import { promisify } from 'node:util';
import { Client } from 'pg';

const execFileAsync = promisify(execFile);

export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/issuing_bridge';

export function databaseUrl(): string {
  return process.env.DATABASE_URL || DEFAULT_DATABASE_URL;
}

/** Same server as DATABASE_URL, but the `postgres` maintenance database (which always exists). */
function maintenanceUrl(url: string): string {
  const u = new URL(url);
  u.pathname = '/postgres';
  return u.toString();
}

function databaseName(url: string): string {
  const name = decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
  if (!name) throw new Error(`DATABASE_URL must name a database (got ${redactUrl(url)})`);
  return name;
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

export async function postgresAnswers(url = databaseUrl()): Promise<boolean> {
  const client = new Client({
    connectionString: maintenanceUrl(url),
    connectionTimeoutMillis: 3000,
  });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

function isLocal(url: string): boolean {
  return ['127.0.0.1', 'localhost', '[::1]'].includes(new URL(url).hostname);
}

async function startLocalCluster(): Promise<void> {
  const versions = fs.existsSync('/etc/postgresql')
    ? fs
        .readdirSync('/etc/postgresql')
        .filter((v) => /^\d+$/.test(v))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0) {
    throw new Error(
      'Postgres is down at 127.0.0.1:5432 and no cluster was found in /etc/postgresql to start',
    );
  }
  process.stderr.write(`[infra] starting Postgres ${versions[0]} (pg_ctlcluster)\n`);
  await execFileAsync('pg_ctlcluster', [
    '--skip-systemctl-redirect',
    versions[0],
    'main',
    'start',
  ]).catch((err: { message: string; stderr?: string }) => {
    throw new Error(
      `pg_ctlcluster ${versions[0]} main start failed: ${err.message}\n${err.stderr ?? ''}`,
    );
  });
}

/** Postgres answers and the database of DATABASE_URL exists. Starts the local cluster if needed. */
export async function ensurePostgres(url = databaseUrl(), timeoutMs = 30_000): Promise<void> {
  if (!(await postgresAnswers(url))) {
    if (!isLocal(url)) throw new Error(`Postgres does not answer at ${redactUrl(url)}`);
    await startLocalCluster();
    const deadline = Date.now() + timeoutMs;
    while (!(await postgresAnswers(url))) {
      if (Date.now() > deadline)
        throw new Error(`Postgres did not answer at ${redactUrl(url)} after start`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  const name = databaseName(url);
  const client = new Client({ connectionString: maintenanceUrl(url) });
  await client.connect();
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (found.rowCount === 0) {
      process.stderr.write(`[infra] creating database ${name}\n`);
      // Identifiers cannot be bound parameters; quote it the way Postgres does.
      await client
        .query(`create database "${name.replace(/"/g, '""')}"`)
        .catch((err: { code?: string }) => {
          if (err.code !== '42P04') throw err; // created meanwhile by a concurrent infra:up
        });
    }
  } finally {
    await client.end();
  }
}

export async function databaseExists(url = databaseUrl()): Promise<boolean> {
  const client = new Client({
    connectionString: maintenanceUrl(url),
    connectionTimeoutMillis: 3000,
  });
  try {
    await client.connect();
    const found = await client.query('select 1 from pg_database where datname = $1', [
      databaseName(url),
    ]);
    return (found.rowCount ?? 0) > 0;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}
