import {
  ConfigValidationError,
  DEV_UQPAY_WEBHOOK_SECRET,
  loadConfig,
} from '@issuing-bridge/platform';
import { configSchema } from './config.schema';

describe('gateway config schema', () => {
  it('starts in development with no settings at all', () => {
    const config = loadConfig(configSchema, {});
    expect(config.NODE_ENV).toBe('development');
    expect(typeof config.GATEWAY_PORT).toBe('number');
  });

  it('names the port variable when it is malformed', () => {
    expect(() => loadConfig(configSchema, { GATEWAY_PORT: 'http' })).toThrow(
      /GATEWAY_PORT: must be a port number/,
    );
  });

  it('refuses to run in production on development secrets', () => {
    let error: ConfigValidationError | undefined;
    try {
      // UQPAY_WEBHOOK_SECRET has its own test below; here it holds a real value.
      loadConfig(configSchema, {
        NODE_ENV: 'production',
        UQPAY_WEBHOOK_SECRET: 'real-uqpay-value',
      });
    } catch (caught) {
      error = caught as ConfigValidationError;
    }
    expect(error).toBeInstanceOf(ConfigValidationError);
    expect(error!.problems.map((p) => p.variable).sort()).toEqual(
      ['KEYSECURE_API_KEY', 'KEYSECURE_API_SECRET', 'GATEWAY_API_KEYS', 'CARD_DATA_PUBLIC_KEY']
        .filter(Boolean)
        .sort(),
    );
  });

  it.each([
    // Missing falls back to the development default, which production then refuses (as KEYSECURE_API_SECRET).
    ['missing', undefined, 'must not be the development default when NODE_ENV=production'],
    ['empty', '', 'must not be the development default when NODE_ENV=production'],
    [
      'the development default',
      DEV_UQPAY_WEBHOOK_SECRET,
      'must not be the development default when NODE_ENV=production',
    ],
  ])(
    'refuses UQPAY_WEBHOOK_SECRET in production when it is %s, naming the variable',
    (_, value, rule) => {
      const env: Record<string, string | undefined> = {
        NODE_ENV: 'production',
        UQPAY_WEBHOOK_SECRET: value,
      };
      let error: ConfigValidationError | undefined;
      try {
        loadConfig(configSchema, env);
      } catch (caught) {
        error = caught as ConfigValidationError;
      }
      expect(error).toBeInstanceOf(ConfigValidationError);
      expect(error!.problems).toContainEqual({ variable: 'UQPAY_WEBHOOK_SECRET', rule });
      expect(error!.message).toContain(`UQPAY_WEBHOOK_SECRET: ${rule}`);
      expect(error!.message).not.toContain('uqpay_sandbox_webhook_secret');
    },
  );

  it('accepts a real UQPAY_WEBHOOK_SECRET in production (no problem names it)', () => {
    let error: ConfigValidationError | undefined;
    try {
      loadConfig(configSchema, {
        NODE_ENV: 'production',
        UQPAY_WEBHOOK_SECRET: 'real-uqpay-value',
      });
    } catch (caught) {
      error = caught as ConfigValidationError;
    }
    expect(error!.problems.map((p) => p.variable)).not.toContain('UQPAY_WEBHOOK_SECRET');
  });

  it('remembers Idempotency-Keys 24 h by default; GATEWAY_IDEMPOTENCY_KEY_RETENTION_MS must be a positive integer', () => {
    expect(loadConfig(configSchema, {}).GATEWAY_IDEMPOTENCY_KEY_RETENTION_MS).toBe(86_400_000);
    expect(
      loadConfig(configSchema, { GATEWAY_IDEMPOTENCY_KEY_RETENTION_MS: '3600000' })
        .GATEWAY_IDEMPOTENCY_KEY_RETENTION_MS,
    ).toBe(3_600_000);
    for (const bad of ['0', '-1', '1.5', '24h']) {
      expect(() =>
        loadConfig(configSchema, { GATEWAY_IDEMPOTENCY_KEY_RETENTION_MS: bad }),
      ).toThrow(/GATEWAY_IDEMPOTENCY_KEY_RETENTION_MS: must be a positive integer \(ms\)/);
    }
  });
});
