import { z } from 'zod';
import { baseConfigShape, portSetting, withProductionSecretRules } from './base-config.schema';
import { ConfigValidationError } from './config-validation.error';
import { loadConfig } from './load-config';

const schema = withProductionSecretRules(
  z.object({
    ...baseConfigShape,
    TEST_PORT: portSetting(3999),
    TEST_SECRET: z.string().min(1).default('dev-secret'),
    TEST_KEY: z.string().optional(),
  }),
  { TEST_SECRET: { developmentDefault: 'dev-secret' }, TEST_KEY: {} },
);

function problemsOf(env: Record<string, string>) {
  try {
    loadConfig(schema, env, 'test-svc');
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigValidationError);
    return error as ConfigValidationError;
  }
  throw new Error('expected the config to be rejected');
}

describe('loadConfig', () => {
  it('applies the documented defaults when nothing is set', () => {
    const config = loadConfig(schema, {});
    expect(config).toMatchObject({
      NODE_ENV: 'development',
      LOG_LEVEL: 'info',
      HTTP_HOST: '127.0.0.1',
      KAFKA_BROKERS: ['127.0.0.1:9092'],
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/issuing_bridge',
      TEST_PORT: 3999,
    });
  });

  it('parses set values into typed ones', () => {
    const config = loadConfig(schema, {
      KAFKA_BROKERS: 'a:1, b:2',
      TEST_PORT: '4001',
      LOG_LEVEL: 'debug',
    });
    expect(config.KAFKA_BROKERS).toEqual(['a:1', 'b:2']);
    expect(config.TEST_PORT).toBe(4001);
    expect(config.LOG_LEVEL).toBe('debug');
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig(schema, { TEST_PORT: '' }).TEST_PORT).toBe(3999);
  });

  it.each([
    ['TEST_PORT', 'abc', 'must be a port number'],
    ['TEST_PORT', '70000', 'must be between 0 and 65535'],
    ['KAFKA_BROKERS', 'not a broker', 'must be a comma-separated list of host:port'],
    ['DATABASE_URL', 'mysql://x/y', 'must be a postgres:// URL'],
    ['LOG_LEVEL', 'loud', 'must be one of fatal, error'],
    ['NODE_ENV', 'staging', 'must be one of development, test, production'],
  ])('rejects a malformed %s and names it with the rule', (variable, value, rule) => {
    const error = problemsOf({ [variable]: value });
    expect(error.problems).toEqual([{ variable, rule: expect.stringContaining(rule) }]);
    expect(error.message).toContain(`${variable}: ${rule}`);
    expect(error.message).toContain('test-svc');
  });

  it('never echoes the rejected value (it may be a secret)', () => {
    const error = problemsOf({ DATABASE_URL: 'mysql://user:hunter2@db/x' });
    expect(error.message).not.toContain('hunter2');
  });

  it('reports every broken variable at once', () => {
    const error = problemsOf({ TEST_PORT: 'x', LOG_LEVEL: 'loud' });
    expect(error.problems.map((p) => p.variable).sort()).toEqual(['LOG_LEVEL', 'TEST_PORT']);
  });

  it('refuses production rules for a variable the schema does not have (it would be stripped)', () => {
    expect(() => withProductionSecretRules(z.object(baseConfigShape), { TYPO_SECRET: {} })).toThrow(
      'TYPO_SECRET',
    );
  });

  describe('in production', () => {
    it('refuses development defaults of secrets and missing required secrets', () => {
      const error = problemsOf({ NODE_ENV: 'production' });
      expect(error.problems).toEqual(
        expect.arrayContaining([
          {
            variable: 'TEST_SECRET',
            rule: 'must not be the development default when NODE_ENV=production',
          },
          { variable: 'TEST_KEY', rule: 'is required when NODE_ENV=production' },
        ]),
      );
    });

    it('accepts real secrets', () => {
      const config = loadConfig(schema, {
        NODE_ENV: 'production',
        TEST_SECRET: 'real',
        TEST_KEY: 'k',
      });
      expect(config.TEST_SECRET).toBe('real');
    });

    it('refuses the fault-testing crash point, which is accepted elsewhere', () => {
      const error = problemsOf({ NODE_ENV: 'production', TEST_SECRET: 'real', TEST_KEY: 'k', FAULTS_CRASH_AFTER_WRITE_FILE: '/tmp/arm' });
      expect(error.problems).toEqual([
        { variable: 'FAULTS_CRASH_AFTER_WRITE_FILE', rule: 'must not be set when NODE_ENV=production (a fault-testing crash point)' },
      ]);
      expect(loadConfig(schema, { NODE_ENV: 'test', FAULTS_CRASH_AFTER_WRITE_FILE: '/tmp/arm' }).FAULTS_CRASH_AFTER_WRITE_FILE).toBe('/tmp/arm');
    });

    it('keeps development defaults outside production', () => {
      expect(loadConfig(schema, { NODE_ENV: 'test' }).TEST_SECRET).toBe('dev-secret');
    });
  });
});
