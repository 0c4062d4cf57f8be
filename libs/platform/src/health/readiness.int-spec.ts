import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { z } from 'zod';
import { ensureDatabase, freePort } from '../../../../test/support';
import { baseConfigShape } from '../config/base-config.schema';
import { PlatformModule } from '../platform.module';
import { ReadinessCheck, ReadinessIndicator, ReadinessState } from './readiness';

/** Stands in for a feature's indicator, e.g. the messaging engine's consume loop. */
@ReadinessIndicator()
@Injectable()
class ConsumeLoopProbe implements ReadinessCheck {
  readonly readinessName = 'consume-loop';
  state: ReadinessState = { ready: true, details: { lastPollAgoMs: 5 } };
  checkReadiness(): ReadinessState {
    return this.state;
  }
}

@Module({ providers: [ConsumeLoopProbe] })
class ConsumeLoopFeatureModule {}

const configSchema = z.object(baseConfigShape);

async function startApp(env: Record<string, string>): Promise<NestFastifyApplication> {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    @Module({
      imports: [
        PlatformModule.forService({
          serviceName: 'readiness-test',
          configSchema,
          database: { schema: 'platform_readiness_it', migrations: [] },
        }),
        ConsumeLoopFeatureModule,
      ],
    })
    class TestAppModule {}
    const app = await NestFactory.create<NestFastifyApplication>(
      TestAppModule,
      new FastifyAdapter(),
      {
        logger: false,
      },
    );
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    return app;
  } finally {
    process.env = saved;
  }
}

const get = async (app: NestFastifyApplication, url: string) => {
  const response = await app.getHttpAdapter().getInstance().inject({ method: 'GET', url });
  return { status: response.statusCode, body: response.json(), headers: response.headers };
};

describe('GET /health/ready (real Postgres and Kafka)', () => {
  beforeAll(() => ensureDatabase());

  describe('with Kafka and Postgres up', () => {
    let app: NestFastifyApplication;
    beforeAll(async () => (app = await startApp({ LOG_LEVEL: 'silent' })));
    afterAll(() => app?.close());

    it('is 200 and lists postgres, kafka and every registered readiness indicator', async () => {
      app.get(ConsumeLoopProbe).state = { ready: true, details: { lastPollAgoMs: 5 } };
      const { status, body } = await get(app, '/health/ready');
      expect(status).toBe(200);
      expect(body.details).toEqual({
        postgres: { status: 'up' },
        kafka: { status: 'up', brokers: expect.any(Number) },
        'consume-loop': { status: 'up', lastPollAgoMs: 5 },
      });
    });

    it('is 503 naming the feature indicator that is down', async () => {
      app.get(ConsumeLoopProbe).state = {
        ready: false,
        details: { reason: 'consume loop stopped' },
      };
      const { status, body } = await get(app, '/health/ready');
      expect(status).toBe(503);
      expect(body.error).toEqual({
        'consume-loop': { status: 'down', reason: 'consume loop stopped' },
      });
    });

    it('keeps /health/live 200 whatever the dependencies say', async () => {
      app.get(ConsumeLoopProbe).state = { ready: false };
      expect((await get(app, '/health/live')).status).toBe(200);
    });

    it('serves Prometheus text on /metrics', async () => {
      const response = await app
        .getHttpAdapter()
        .getInstance()
        .inject({ method: 'GET', url: '/metrics' });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toContain('text/plain');
      expect(response.body).toMatch(/^# HELP process_cpu_user_seconds_total/m);
      expect(response.body).toMatch(/^nodejs_eventloop_lag_seconds \d/m);
    });
  });

  it('is 503 with kafka down when no broker answers, within the probe timeout', async () => {
    const deadPort = await freePort();
    const app = await startApp({ LOG_LEVEL: 'silent', KAFKA_BROKERS: `127.0.0.1:${deadPort}` });
    try {
      const started = Date.now();
      const { status, body } = await get(app, '/health/ready');
      expect(status).toBe(503);
      expect(body.error.kafka).toMatchObject({ status: 'down', message: expect.any(String) });
      expect(body.details.postgres).toEqual({ status: 'up' });
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      await app.close();
    }
  });
});
