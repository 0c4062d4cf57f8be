// docker-compose.yml cannot run here (no Docker), so this checks what can break silently: the file
// parses, every service is there, each app builds from an existing main.ts, and each app's
// environment passes that app's own config schema with no unknown (misspelled) variable.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import type { z } from 'zod';
import { configSchema as cardSvcSchema } from '../../apps/card-svc/src/config/config.schema';
import { configSchema as cardholderSvcSchema } from '../../apps/cardholder-svc/src/config/config.schema';
import { configSchema as gatewaySchema } from '../../apps/gateway/src/config/config.schema';

const root = path.resolve(__dirname, '..', '..');

interface ComposeService {
  image?: string;
  build?: { context: string; target?: string; args?: Record<string, string> };
  environment?: Record<string, string | number | boolean>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] | string };
  command?: string[];
}

const compose = parse(fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'), {
  merge: true,
}) as {
  services: Record<string, ComposeService>;
};
const services = compose.services;

/** Compose hands every variable to the process as a string. */
const envOf = (name: string): Record<string, string> =>
  Object.fromEntries(
    Object.entries(services[name]?.environment ?? {}).map(([k, v]) => [k, String(v)]),
  );

const APP_SCHEMAS: Record<string, z.ZodType> = {
  gateway: gatewaySchema,
  'cardholder-svc': cardholderSvcSchema,
  'card-svc': cardSvcSchema,
};

describe('docker-compose.yml', () => {
  it('has Kafka, Postgres, the topic/database init, the sandbox and the three services', () => {
    expect(Object.keys(services).sort()).toEqual(
      [
        'card-svc',
        'cardholder-svc',
        'gateway',
        'infra-init',
        'kafka',
        'keysecure-sandbox',
        'postgres',
      ].sort(),
    );
    expect(services.kafka.image).toMatch(/^apache\/kafka:4\./);
    expect(envOf('kafka').KAFKA_PROCESS_ROLES).toBe('broker,controller');
    expect(services.postgres.image).toMatch(/^postgres:/);
  });

  it('builds every app from the one Dockerfile with an APP build arg naming an existing main.ts', () => {
    const built = Object.entries(services).filter(([, s]) => s.build);
    expect(built.map(([n]) => n).sort()).toEqual(
      ['card-svc', 'cardholder-svc', 'gateway', 'infra-init', 'keysecure-sandbox'].sort(),
    );
    const dockerfile = fs.readFileSync(path.join(root, 'Dockerfile'), 'utf8');
    for (const [name, service] of built) {
      expect({ name, context: service.build?.context }).toEqual({ name, context: '.' });
      expect(dockerfile).toContain(`AS ${service.build?.target}`);
      const app = service.build?.args?.APP;
      expect(fs.existsSync(path.join(root, 'apps', String(app), 'src', 'main.ts'))).toBe(true);
    }
  });

  it('gives the sandbox and every app a health check, and starts apps only after their dependencies', () => {
    for (const name of ['kafka', 'postgres', 'keysecure-sandbox', ...Object.keys(APP_SCHEMAS)]) {
      expect({ name, healthcheck: !!services[name].healthcheck }).toEqual({
        name,
        healthcheck: true,
      });
    }
    for (const name of Object.keys(APP_SCHEMAS)) {
      expect(services[name].depends_on).toMatchObject({
        kafka: { condition: 'service_healthy' },
        postgres: { condition: 'service_healthy' },
        'infra-init': { condition: 'service_completed_successfully' },
      });
    }
  });

  it.each(Object.entries(APP_SCHEMAS))(
    "%s's environment passes its config schema",
    (name, schema) => {
      const env = envOf(name);
      const result = schema.safeParse(env);
      expect(
        result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`),
      ).toEqual([]);
      // z.object drops unknown keys silently, so a misspelled variable would pass the parse above.
      const shape = (schema as unknown as { shape?: Record<string, unknown> }).shape;
      expect(shape).toBeDefined();
      const unknown = Object.keys(env).filter((k) => !(k in (shape ?? {})));
      expect(unknown).toEqual([]);
      // Inside the compose network the apps reach their dependencies by service name.
      expect(env.KAFKA_BROKERS).toBe('kafka:9092');
      expect(new URL(env.DATABASE_URL).hostname).toBe('postgres');
      expect(env.HTTP_HOST).toBe('0.0.0.0');
    },
  );

  it("sets only variables the sandbox reads, and points its callbacks at the gateway's service name", () => {
    const sandboxMain = fs.readFileSync(
      path.join(root, 'apps', 'keysecure-sandbox', 'src', 'main.ts'),
      'utf8',
    );
    const env = envOf('keysecure-sandbox');
    for (const key of Object.keys(env))
      expect({ key, read: sandboxMain.includes(key) }).toEqual({ key, read: true });
    expect(new URL(env.KEYSECURE_SANDBOX_CALLBACK_URL).host).toBe(
      `gateway:${envOf('gateway').GATEWAY_PORT}`,
    );
  });
});
