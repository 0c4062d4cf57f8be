import { ConfigValidationError, loadConfig } from '@issuing-bridge/platform';
import { configSchema } from './config.schema';

describe('cardholder-svc config schema', () => {
  it('starts in development with no settings at all', () => {
    const config = loadConfig(configSchema, {});
    expect(config.NODE_ENV).toBe('development');
    expect(typeof config.CARDHOLDER_SVC_PORT).toBe('number');
  });

  it('names the port variable when it is malformed', () => {
    expect(() => loadConfig(configSchema, { CARDHOLDER_SVC_PORT: 'http' })).toThrow(
      /CARDHOLDER_SVC_PORT: must be a port number/,
    );
  });

  it('refuses to run in production on development secrets', () => {
    let error: ConfigValidationError | undefined;
    try {
      loadConfig(configSchema, { NODE_ENV: 'production' });
    } catch (caught) {
      error = caught as ConfigValidationError;
    }
    expect(error).toBeInstanceOf(ConfigValidationError);
    expect(error!.problems.map((p) => p.variable).sort()).toEqual(
      ['KEYSECURE_API_KEY', 'KEYSECURE_API_SECRET'].filter(Boolean).sort(),
    );
  });

  it('keeps inbox rows 30 days unless CARDHOLDER_INBOX_RETENTION_MS says otherwise (an hour at least)', () => {
    const days = (n: number) => n * 86_400_000;
    expect(loadConfig(configSchema, {}).CARDHOLDER_INBOX_RETENTION_MS).toBe(days(30));
    expect(loadConfig(configSchema, { CARDHOLDER_INBOX_RETENTION_MS: String(days(14)) }).CARDHOLDER_INBOX_RETENTION_MS).toBe(days(14));
    let error: ConfigValidationError | undefined;
    try {
      loadConfig(configSchema, { CARDHOLDER_INBOX_RETENTION_MS: '0' });
    } catch (caught) {
      error = caught as ConfigValidationError;
    }
    expect(error!.problems).toEqual([{ variable: 'CARDHOLDER_INBOX_RETENTION_MS', rule: 'must be at least 3600000 (1 hour)' }]);
  });
});
