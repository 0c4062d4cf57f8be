import { ConfigValidationError, loadConfig } from '@issuing-bridge/platform';
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
      loadConfig(configSchema, { NODE_ENV: 'production' });
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
});
