import { createHash } from 'node:crypto';
import { loadConfig } from '@issuing-bridge/platform';
import { configSchema } from '../config/config.schema';
import { ApiKeyRegistry, parseApiClients, presentedApiKey } from './api-keys';

const digest = (key: string) => createHash('sha256').update(key).digest('hex');

describe('API keys', () => {
  const registry = new ApiKeyRegistry(
    parseApiClients(
      `erp:erp-key-0001,crm:sha256:${digest('crm-key-0002')},old:old-key-0003`,
      'old',
    ),
  );

  it('recognises plain and hashed keys by their calling system', () => {
    expect(registry.check('erp-key-0001')).toEqual({ outcome: 'ok', client: 'erp' });
    expect(registry.check('crm-key-0002')).toEqual({ outcome: 'ok', client: 'crm' });
  });

  it('refuses missing, unknown and digest-as-key; reports disabled keys', () => {
    expect(registry.check(undefined)).toEqual({ outcome: 'missing' });
    expect(registry.check('')).toEqual({ outcome: 'missing' });
    expect(registry.check('erp-key-000')).toEqual({ outcome: 'unknown' });
    expect(registry.check(digest('crm-key-0002'))).toEqual({ outcome: 'unknown' });
    expect(registry.check('old-key-0003')).toEqual({ outcome: 'disabled', client: 'old' });
  });

  it('reads the key from Authorization: Bearer or X-Api-Key', () => {
    expect(presentedApiKey({ authorization: 'Bearer abc.def' })).toBe('abc.def');
    expect(presentedApiKey({ authorization: 'bearer  abc ' })).toBe('abc');
    expect(presentedApiKey({ 'x-api-key': ' abc ' })).toBe('abc');
    expect(presentedApiKey({ authorization: 'Basic abc' })).toBeUndefined();
    expect(presentedApiKey({})).toBeUndefined();
  });

  it('config accepts both forms and names GATEWAY_API_KEYS when an entry is malformed', () => {
    const ok = loadConfig(configSchema, {
      GATEWAY_API_KEYS: `erp:erp-key-0001,crm:sha256:${digest('x')}`,
      GATEWAY_DISABLED_API_CLIENTS: 'crm',
    });
    expect(ok.GATEWAY_DISABLED_API_CLIENTS).toBe('crm');
    for (const bad of ['erp:short', 'erp', 'crm:sha256:abc', 'a:erp-key-0001,']) {
      expect(() => loadConfig(configSchema, { GATEWAY_API_KEYS: bad })).toThrow(/GATEWAY_API_KEYS/);
    }
    expect(() => loadConfig(configSchema, { GATEWAY_RATE_LIMIT: '0' })).toThrow(
      /GATEWAY_RATE_LIMIT/,
    );
  });
});
