import { ConfigValidationError, DEV_UQPAY_API_KEY, loadConfig } from '@issuing-bridge/platform';
import { configSchema } from './config.schema';

describe('card-svc config schema', () => {
  it('starts in development with no settings at all', () => {
    const config = loadConfig(configSchema, {});
    expect(config.NODE_ENV).toBe('development');
    expect(typeof config.CARD_SVC_PORT).toBe('number');
  });

  it('names the port variable when it is malformed', () => {
    expect(() => loadConfig(configSchema, { CARD_SVC_PORT: 'http' })).toThrow(
      /CARD_SVC_PORT: must be a port number/,
    );
  });

  it('refuses to run in production on development secrets', () => {
    let error: ConfigValidationError | undefined;
    try {
      // UQPAY_API_KEY has its own test below; here it holds a real value.
      loadConfig(configSchema, { NODE_ENV: 'production', UQPAY_API_KEY: 'real-uqpay-value' });
    } catch (caught) {
      error = caught as ConfigValidationError;
    }
    expect(error).toBeInstanceOf(ConfigValidationError);
    expect(error!.problems.map((p) => p.variable).sort()).toEqual(
      ['KEYSECURE_API_KEY', 'KEYSECURE_API_SECRET', 'CARD_DATA_PRIVATE_KEY'].filter(Boolean).sort(),
    );
  });

  it.each([
    // Missing falls back to the development default, which production then refuses (as KEYSECURE_API_SECRET).
    ['missing', undefined, 'must not be the development default when NODE_ENV=production'],
    ['empty', '', 'must not be the development default when NODE_ENV=production'],
    [
      'the development default',
      DEV_UQPAY_API_KEY,
      'must not be the development default when NODE_ENV=production',
    ],
  ])('refuses UQPAY_API_KEY in production when it is %s, naming the variable', (_, value, rule) => {
    const env: Record<string, string | undefined> = {
      NODE_ENV: 'production',
      UQPAY_API_KEY: value,
    };
    let error: ConfigValidationError | undefined;
    try {
      loadConfig(configSchema, env);
    } catch (caught) {
      error = caught as ConfigValidationError;
    }
    expect(error).toBeInstanceOf(ConfigValidationError);
    expect(error!.problems).toContainEqual({ variable: 'UQPAY_API_KEY', rule });
    expect(error!.message).toContain(`UQPAY_API_KEY: ${rule}`);
    expect(error!.message).not.toContain('uqpay_sandbox_api_key');
  });

  it('accepts a real UQPAY_API_KEY in production (no problem names it)', () => {
    let error: ConfigValidationError | undefined;
    try {
      loadConfig(configSchema, { NODE_ENV: 'production', UQPAY_API_KEY: 'real-uqpay-value' });
    } catch (caught) {
      error = caught as ConfigValidationError;
    }
    expect(error!.problems.map((p) => p.variable)).not.toContain('UQPAY_API_KEY');
  });

  it('keeps inbox rows 30 days by default and refuses CARD_INBOX_RETENTION_MS under an hour, naming it', () => {
    expect(loadConfig(configSchema, {}).CARD_INBOX_RETENTION_MS).toBe(30 * 24 * 3_600_000);
    expect(loadConfig(configSchema, { CARD_INBOX_RETENTION_MS: '3600000' }).CARD_INBOX_RETENTION_MS).toBe(3_600_000);
    expect(() => loadConfig(configSchema, { CARD_INBOX_RETENTION_MS: '60000' })).toThrow(
      /CARD_INBOX_RETENTION_MS: must be at least 3600000 \(1 hour\)/,
    );
    expect(() => loadConfig(configSchema, { CARD_INBOX_RETENTION_MS: '30d' })).toThrow(
      /CARD_INBOX_RETENTION_MS: must be a whole number of milliseconds/,
    );
  });
});
