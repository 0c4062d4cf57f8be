import { ConfigValidationError, loadConfig } from '@issuing-bridge/platform';
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
      loadConfig(configSchema, { NODE_ENV: 'production' });
    } catch (caught) {
      error = caught as ConfigValidationError;
    }
    expect(error).toBeInstanceOf(ConfigValidationError);
    expect(error!.problems.map((p) => p.variable).sort()).toEqual(
      ['KEYSECURE_API_KEY', 'KEYSECURE_API_SECRET', 'CARD_DATA_PRIVATE_KEY'].filter(Boolean).sort(),
    );
  });
});
