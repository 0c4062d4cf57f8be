import { z } from 'zod';

export const DEFAULT_KAFKA_BROKERS = '127.0.0.1:9092';
export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/issuing_bridge';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const HOST_PORT = /^[A-Za-z0-9.-]+:\d{1,5}$/;

/** A TCP port number read from the environment. */
export const portSetting = (defaultPort: number) =>
  z.coerce
    .number({ error: 'must be a port number' })
    .int({ error: 'must be an integer port number' })
    .min(0, { error: 'must be between 0 and 65535' })
    .max(65535, { error: 'must be between 0 and 65535' })
    .default(defaultPort);

/** Comma-separated `host:port` list, e.g. `127.0.0.1:9092,127.0.0.1:9093`. */
export const kafkaBrokersSetting = z
  .string()
  .default(DEFAULT_KAFKA_BROKERS)
  .transform((value) => value.split(',').map((broker) => broker.trim()))
  .refine((brokers) => brokers.length > 0 && brokers.every((broker) => HOST_PORT.test(broker)), {
    error: 'must be a comma-separated list of host:port',
  });

export const postgresUrlSetting = z
  .string()
  .default(DEFAULT_DATABASE_URL)
  .refine(
    (value) => {
      try {
        const url = new URL(value);
        return (
          (url.protocol === 'postgres:' || url.protocol === 'postgresql:') &&
          url.pathname.length > 1
        );
      } catch {
        return false;
      }
    },
    { error: 'must be a postgres:// URL with a database name' },
  );

/**
 * Settings every service has. Apps extend it: `baseConfigShape` spread into their own `z.object`,
 * then `withProductionSecretRules` on the result.
 */
export const baseConfigShape = {
  NODE_ENV: z
    .enum(['development', 'test', 'production'], {
      error: 'must be one of development, test, production',
    })
    .default('development'),
  LOG_LEVEL: z
    .enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` })
    .default('info'),
  /** Interface the HTTP server binds to; containers set 0.0.0.0. */
  HTTP_HOST: z.string().min(1).default('127.0.0.1'),
  KAFKA_BROKERS: kafkaBrokersSetting,
  DATABASE_URL: postgresUrlSetting,
  /** Fault testing: the process SIGKILLs itself after a durable write once this file exists (see DurableWriteCrashPoint). */
  FAULTS_CRASH_AFTER_WRITE_FILE: z.string().min(1, { error: 'must be a file path' }).optional(),
};

export const baseConfigSchema = z.object(baseConfigShape);
export type BaseConfig = z.output<typeof baseConfigSchema>;

/**
 * Development defaults of secrets. With NODE_ENV=production a setting still holding its development
 * default (or missing, when it has none) is refused, so a forgotten variable cannot ship a known secret.
 */
export function withProductionSecretRules<T extends z.ZodObject>(
  schema: T,
  secrets: Record<string, { developmentDefault?: string }>,
) {
  for (const variable of Object.keys(secrets)) {
    if (!(variable in schema.shape)) {
      throw new Error(
        `production secret rule for ${variable}, which the config schema does not define`,
      );
    }
  }
  return schema.superRefine((config, ctx) => {
    const values = config as Record<string, unknown>;
    if (values.NODE_ENV !== 'production') return;
    if (values.FAULTS_CRASH_AFTER_WRITE_FILE !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['FAULTS_CRASH_AFTER_WRITE_FILE'],
        message: 'must not be set when NODE_ENV=production (a fault-testing crash point)',
      });
    }
    for (const [variable, { developmentDefault }] of Object.entries(secrets)) {
      const value = values[variable];
      if (value === undefined || value === '') {
        ctx.addIssue({
          code: 'custom',
          path: [variable],
          message: 'is required when NODE_ENV=production',
        });
      } else if (developmentDefault !== undefined && value === developmentDefault) {
        ctx.addIssue({
          code: 'custom',
          path: [variable],
          message: 'must not be the development default when NODE_ENV=production',
        });
      }
    }
  });
}
