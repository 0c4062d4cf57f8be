// The suite's own Kafka broker and Postgres cluster, so stopping and restarting them disturbs nobody
// else on the machine (the shared broker on 9092 and the system Postgres on 5432 are never touched).
import { execFile, execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT, freePort } from '../support';

const run = promisify(execFile);

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

function newestPostgresBin(): string {
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base)
    ? readdirSync(base)
        .filter((v) => /^\d+$/.test(v))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0) throw new Error(`no Postgres found under ${base} (need initdb, pg_ctl)`);
  return path.join(base, versions[0], 'bin');
}

/** A throwaway Postgres cluster (initdb into a temp dir, trust auth, its own port). */
export class OwnPostgres {
  readonly dir: string;
  readonly bin = newestPostgresBin();
  private constructor(
    readonly port: number,
    readonly logFile: string,
  ) {
    this.dir = path.dirname(logFile);
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/issuing_bridge`;
  }

  static async create(logDir: string): Promise<OwnPostgres> {
    const dir = mkdtempSync(path.join(tmpdir(), 'ib-faults-pg-'));
    // initdb refuses to run as root: the cluster belongs to the `postgres` user.
    if (isRoot()) chownSync(dir, uid('postgres'), gid('postgres'));
    const pg = new OwnPostgres(await freePort(), path.join(dir, 'server.log'));
    await pg.asOwner('initdb', ['-D', path.join(dir, 'data'), '-A', 'trust', '-U', 'postgres']);
    void logDir;
    await pg.start();
    return pg;
  }

  private async asOwner(tool: string, args: string[]): Promise<void> {
    const exe = path.join(this.bin, tool);
    const [cmd, full] = isRoot()
      ? ['runuser', ['-u', 'postgres', '--', exe, ...args]]
      : [exe, args];
    await run(cmd, full, { timeout: 120_000 });
  }

  async start(): Promise<void> {
    const opts = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
    await this.asOwner('pg_ctl', ['-D', path.join(this.dir, 'data'), '-o', opts, '-l', this.logFile, '-w', '-t', '60', 'start']);
  }

  /** `immediate` = a crash: no checkpoint, every connection cut, WAL recovery at the next start. */
  async stop(mode: 'fast' | 'immediate' = 'immediate'): Promise<void> {
    await this.asOwner('pg_ctl', ['-D', path.join(this.dir, 'data'), '-m', mode, '-w', 'stop']).catch(
      () => undefined,
    );
  }

  async destroy(): Promise<void> {
    await this.stop('immediate');
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function uid(user: string): number {
  return Number(execFileSync('id', ['-u', user]).toString().trim());
}
function gid(user: string): number {
  return Number(execFileSync('id', ['-g', user]).toString().trim());
}

/**
 * A second, throwaway Kafka broker through the project's own infra script
 * (ISSUING_BRIDGE_KAFKA_PORT + ISSUING_BRIDGE_STATE_DIR), which also creates every topic.
 */
export class OwnKafka {
  private constructor(
    readonly port: number,
    readonly stateDir: string,
    private readonly databaseUrl: string,
  ) {}

  get brokers(): string {
    return `127.0.0.1:${this.port}`;
  }

  get logFile(): string {
    return path.join(this.stateDir, 'kafka', 'logs', 'server.log');
  }

  static async create(databaseUrl: string): Promise<OwnKafka> {
    // The controller listens on port + 1: find a pair that is free.
    let port = await freePort();
    for (let i = 0; i < 20 && !(await portIsFree(port + 1)); i++) port = await freePort();
    const kafka = new OwnKafka(port, mkdtempSync(path.join(tmpdir(), 'ib-faults-kafka-')), databaseUrl);
    await kafka.infra('up');
    return kafka;
  }

  private infra(action: 'up' | 'down'): Promise<void> {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ISSUING_BRIDGE_KAFKA_PORT: String(this.port),
      ISSUING_BRIDGE_STATE_DIR: this.stateDir,
      DATABASE_URL: this.databaseUrl,
    };
    delete env.KAFKA_BROKERS; // else the script would use that broker instead of starting ours
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['-r', '@swc-node/register', 'scripts/infra/index.ts', action], {
        cwd: REPO_ROOT,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr.on('data', (c: Buffer) => (out += c.toString()));
      child.on('exit', (code) =>
        code === 0 ? resolve() : reject(new Error(`infra ${action} exited ${code}: ${out.slice(-2000)}`)),
      );
    });
  }

  start(): Promise<void> {
    return this.infra('up');
  }

  /** SIGTERM (SIGKILL after 30 s) through the infra script; data and topics stay in the state dir. */
  stop(): Promise<void> {
    return this.infra('down');
  }

  async destroy(): Promise<void> {
    await this.stop().catch(() => undefined);
    rmSync(this.stateDir, { recursive: true, force: true });
  }
}

async function portIsFree(port: number): Promise<boolean> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
