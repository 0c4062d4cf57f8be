import {
  KeySecureApiError,
  KeySecureHttpError,
  KeySecureNetworkError,
  KeySecureTimeoutError,
  KeySecureValidationError,
} from './errors';
import { classifyKeySecureCode, isRetryableHttpStatus, shouldRetry } from './retry-policy';

describe('retry policy', () => {
  it('classifies envelope codes', () => {
    expect(classifyKeySecureCode(1001)).toBe('retry');
    expect(classifyKeySecureCode(1009)).toBe('retry');
    expect(classifyKeySecureCode(1006)).toBe('refresh-token');
    expect(classifyKeySecureCode(1007)).toBe('refresh-token');
    expect(classifyKeySecureCode(1005)).toBe('restamp');
    for (const code of [
      1002, 1003, 1004, 1008, 1010, 1011, 1012, 1013, 2007, 4005, 4010, 4016, 4017, 9999,
    ]) {
      expect(classifyKeySecureCode(code)).toBe('final');
    }
  });

  it('classifies HTTP statuses', () => {
    expect(isRetryableHttpStatus(500)).toBe(true);
    expect(isRetryableHttpStatus(503)).toBe(true);
    expect(isRetryableHttpStatus(429)).toBe(true);
    expect(isRetryableHttpStatus(400)).toBe(false);
    expect(isRetryableHttpStatus(404)).toBe(false);
  });

  it('retries only errors marked retryable, never validation or foreign errors', () => {
    expect(
      shouldRetry(new KeySecureNetworkError({ code: 'NETWORK', msg: 'x', retryable: true })),
    ).toBe(true);
    expect(
      shouldRetry(new KeySecureTimeoutError({ code: 'TIMEOUT', msg: 'x', retryable: true })),
    ).toBe(true);
    expect(
      shouldRetry(new KeySecureHttpError({ code: 'HTTP_503', msg: 'x', retryable: true })),
    ).toBe(true);
    expect(shouldRetry(new KeySecureApiError({ code: 1004, msg: 'x', retryable: false }))).toBe(
      false,
    );
    expect(shouldRetry(new KeySecureValidationError('pin', 'weak'))).toBe(false);
    expect(shouldRetry(new Error('boom'))).toBe(false);
  });

  it('errors carry code, msg, endpoint, status and a class-specific name', () => {
    const e = new KeySecureApiError({
      code: 4016,
      msg: 'PIN invalid',
      endpoint: 'card.pin_set',
      httpStatus: 200,
    });
    expect(e).toMatchObject({
      code: 4016,
      msg: 'PIN invalid',
      endpoint: 'card.pin_set',
      httpStatus: 200,
      retryable: false,
    });
    expect(e.name).toBe('KeySecureApiError');
    expect(e.message).toBe('KeySecure card.pin_set failed: [4016] PIN invalid');
  });
});
