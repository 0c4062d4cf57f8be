import { parseJsonObjectBody } from './http';
import { intFromEnv } from './process';

const invalid = (field: string, rule: string) => new Error(`${field}: ${rule}`);

describe('parseJsonObjectBody', () => {
  it.each([undefined, null, ''])('treats %j as an empty object', (raw) => {
    expect(parseJsonObjectBody(raw, invalid)).toEqual({});
  });
  it('parses a JSON object', () => {
    expect(parseJsonObjectBody('{"a":1}', invalid)).toEqual({ a: 1 });
  });
  it('refuses bad JSON and non-objects with the sandbox’s own error', () => {
    expect(() => parseJsonObjectBody('{', invalid)).toThrow('body: must be valid JSON');
    expect(() => parseJsonObjectBody('[1]', invalid)).toThrow('body: must be a JSON object');
    expect(() => parseJsonObjectBody('3', invalid)).toThrow('body: must be a JSON object');
  });
});

describe('intFromEnv', () => {
  it('uses the fallback when unset or empty', () => {
    expect(intFromEnv({}, 'X_PORT', 4010)).toBe(4010);
    expect(intFromEnv({ X_PORT: '' }, 'X_PORT', undefined)).toBeUndefined();
  });
  it('reads a non-negative integer', () => {
    expect(intFromEnv({ X_PORT: '0' }, 'X_PORT', 4010)).toBe(0);
    expect(intFromEnv({ X_PORT: '4321' }, 'X_PORT', 4010)).toBe(4321);
  });
  it.each(['-1', '1.5', 'abc', ' 1'])('refuses %j naming the variable', (raw) => {
    expect(() => intFromEnv({ X_PORT: raw }, 'X_PORT', 1)).toThrow(
      `X_PORT must be a non-negative integer, got "${raw}"`,
    );
  });
});
