import { randomUUID } from 'node:crypto';
import {
  ensureDatabase,
  isolatedKafka,
  type IsolatedKafka,
  type ServiceProcess,
  spawnService,
  startService,
} from '../../../test/support';

const APPS = ['gateway', 'cardholder-svc', 'card-svc'] as const;

describe('service boot (child processes against real Postgres and Kafka)', () => {
  beforeAll(() => ensureDatabase());

  describe.each(APPS)('%s', (app) => {
    let service: ServiceProcess | undefined;
    // Own topics and groups: on the shared ones the service would take (and retry) other tests' commands.
    let kafka: IsolatedKafka | undefined;
    beforeAll(async () => {
      kafka = await isolatedKafka(app, `boot-${randomUUID().slice(0, 8)}`);
    });
    afterAll(async () => {
      await service?.stop('SIGKILL');
      await kafka?.cleanup();
    });

    it('becomes ready, serves metrics, tags requests, and exits 0 on SIGTERM', async () => {
      service = await startService(app, { env: { LOG_LEVEL: 'info', ...kafka!.env } });

      const ready = await fetch(`${service.baseUrl}/health/ready`, {
        headers: { 'x-request-id': `boot-${app}` },
      });
      expect(ready.status).toBe(200);
      expect(ready.headers.get('x-request-id')).toBe(`boot-${app}`);
      const body = (await ready.json()) as { details: Record<string, { status: string }> };
      expect(body.details.postgres.status).toBe('up');
      expect(body.details.kafka.status).toBe('up');

      const metrics = await fetch(`${service.baseUrl}/metrics`);
      expect(metrics.status).toBe(200);
      expect(metrics.headers.get('content-type')).toContain('text/plain');
      expect(await metrics.text()).toMatch(/^process_resident_memory_bytes \d+/m);

      // A request that is logged (probes are not) carries the caller's request id.
      await fetch(`${service.baseUrl}/no-such-route`, {
        headers: { 'x-request-id': `trace-${app}` },
      });

      expect(await service.stop('SIGTERM')).toBe(0);
      const lines = service
        .output()
        .stdout.split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(lines.every((line) => line.service === app)).toBe(true);
      expect(
        lines.some((line) => (line.req as { id?: string } | undefined)?.id === `trace-${app}`),
      ).toBe(true);
      expect(lines.some((line) => line.msg === 'SIGTERM received, shutting down')).toBe(true);
    });
  });

  it.each([
    ['KAFKA_BROKERS', 'kafka-without-port', 'must be a comma-separated list of host:port'],
    ['CARD_SVC_PORT', 'eighty', 'must be a port number'],
    ['DATABASE_URL', 'mysql://root:hunter2@db/x', 'must be a postgres:// URL'],
  ])('card-svc stops with a message naming a malformed %s', async (variable, value, rule) => {
    const service = await spawnService('card-svc', { env: { [variable]: value } });
    expect(await service.exited).toBe(1);
    const { stdout, stderr } = service.output();
    expect(stderr).toContain(`${variable}: ${rule}`);
    expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(stderr + stdout).not.toContain('hunter2');
  });

  it('gateway refuses development secrets in production and names them', async () => {
    const service = await spawnService('gateway', { env: { NODE_ENV: 'production' } });
    expect(await service.exited).toBe(1);
    const { stderr } = service.output();
    for (const variable of ['KEYSECURE_API_SECRET', 'GATEWAY_API_KEYS', 'CARD_DATA_PUBLIC_KEY']) {
      expect(stderr).toContain(variable);
    }
    expect(stderr).not.toContain('ks_sandbox_secret');
  });
});
