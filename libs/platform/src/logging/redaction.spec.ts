import type { IncomingMessage, ServerResponse } from 'node:http';
import pino from 'pino';
import { REDACT_CENSOR, redactOptions, SECRET_FIELD_NAMES, SECRET_HEADER_NAMES } from './redaction';
import { requestIdFor } from './request-id';

function logLine(object: Record<string, unknown>): string {
  const lines: string[] = [];
  const logger = pino({ redact: redactOptions() }, { write: (line: string) => lines.push(line) });
  logger.info(object, 'something happened');
  return lines.join('');
}

describe('log redaction', () => {
  const PLAINTEXT = 'PLAINTEXT-SECRET-4242';

  it.each(SECRET_FIELD_NAMES.map((field) => [field]))(
    'hides %s at every depth up to four levels',
    (field) => {
      const line = logLine({
        [field]: PLAINTEXT,
        a: {
          [field]: PLAINTEXT,
          b: { [field]: PLAINTEXT, c: { [field]: PLAINTEXT, d: { [field]: PLAINTEXT } } },
        },
      });
      expect(line).not.toContain(PLAINTEXT);
      expect(line.split(REDACT_CENSOR)).toHaveLength(6);
    },
  );

  it.each(SECRET_HEADER_NAMES.map((header) => [header]))(
    'hides the %s header of requests and responses',
    (header) => {
      const line = logLine({
        req: {
          method: 'POST',
          headers: { [header]: PLAINTEXT, 'content-type': 'application/json' },
        },
        res: { headers: { [header]: PLAINTEXT } },
        provider: { headers: { [header]: PLAINTEXT } },
      });
      expect(line).not.toContain(PLAINTEXT);
      expect(line).toContain('application/json');
    },
  );

  it('keeps the rest of a provider payload readable', () => {
    const line = logLine({
      payload: {
        card_unique_no: 'C-1',
        cvv: '123',
        pin: '4321',
        access_token: PLAINTEXT,
        pin_jwe: PLAINTEXT,
      },
      config: {
        KEYSECURE_API_SECRET: PLAINTEXT,
        CARD_DATA_PRIVATE_KEY: '-----BEGIN PRIVATE KEY-----x',
      },
    });
    const parsed = JSON.parse(line);
    expect(parsed.payload).toEqual({
      card_unique_no: 'C-1',
      cvv: REDACT_CENSOR,
      pin: REDACT_CENSOR,
      access_token: REDACT_CENSOR,
      pin_jwe: REDACT_CENSOR,
    });
    expect(line).not.toMatch(/PLAINTEXT|BEGIN PRIVATE KEY|"123"|"4321"/);
  });
});

describe('requestIdFor', () => {
  const request = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;

  it('keeps a plain caller-supplied x-request-id and echoes it', () => {
    const headers: Record<string, string> = {};
    const res = { headersSent: false, setHeader: (k: string, v: string) => (headers[k] = v) };
    expect(
      requestIdFor(request({ 'x-request-id': 'abc-123' }), res as unknown as ServerResponse),
    ).toBe('abc-123');
    expect(headers['x-request-id']).toBe('abc-123');
  });

  it('replaces a missing or unsafe id with a UUID', () => {
    const uuid = /^[0-9a-f-]{36}$/;
    expect(requestIdFor(request({}))).toMatch(uuid);
    expect(requestIdFor(request({ 'x-request-id': 'a b\n{"forged":1}' }))).toMatch(uuid);
    expect(requestIdFor(request({ 'x-request-id': 'x'.repeat(200) }))).toMatch(uuid);
  });
});
