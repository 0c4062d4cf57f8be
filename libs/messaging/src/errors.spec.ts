import { lastValueFrom } from 'rxjs';
import { CommandErrorsFilter, isRetryable, isUniqueViolation } from './errors';

describe('isRetryable', () => {
  it('retries errors that say so and Postgres / network connection faults', () => {
    expect(isRetryable(Object.assign(new Error('5xx'), { retryable: true }))).toBe(true);
    expect(isRetryable(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isRetryable(Object.assign(new Error('admin shutdown'), { code: '57P01' }))).toBe(true);
    expect(isRetryable(Object.assign(new Error('q'), { driverError: { code: '08006' } }))).toBe(true);
    expect(isRetryable(new Error('Connection terminated unexpectedly'))).toBe(true);
  });

  it('retries what TypeORM and pg throw after Postgres cut a connection a transaction was holding', async () => {
    const { QueryRunnerAlreadyReleasedError, QueryRunnerProviderAlreadyReleasedError, QueryFailedError } = await import('typeorm');
    expect(isRetryable(new QueryRunnerAlreadyReleasedError())).toBe(true);
    expect(isRetryable(new QueryRunnerProviderAlreadyReleasedError())).toBe(true);
    const notQueryable = new Error('Client has encountered a connection error and is not queryable');
    expect(isRetryable(new QueryFailedError('INSERT INTO x VALUES ($1)', ['v'], notQueryable))).toBe(true);
    // An ordinary failed statement stays a processing error.
    const syntax = Object.assign(new Error('syntax error at or near "INSER"'), { code: '42601' });
    expect(isRetryable(new QueryFailedError('INSER', [], syntax))).toBe(false);
  });

  it('does not retry business errors, constraint violations or Nest-wrapped errors', () => {
    expect(isRetryable(Object.assign(new Error('bad card'), { retryable: false }))).toBe(false);
    expect(isRetryable(Object.assign(new Error('dup'), { code: '23505' }))).toBe(false);
    expect(isRetryable({ status: 'error', message: 'Internal server error' })).toBe(false);
    expect(isRetryable(undefined)).toBe(false);
  });

  it('recognises unique violations directly and through TypeORM', () => {
    expect(isUniqueViolation({ code: '23505' })).toBe(true);
    expect(isUniqueViolation({ driverError: { code: '23505' } })).toBe(true);
    expect(isUniqueViolation({ code: '23503' })).toBe(false);
  });
});

describe('CommandErrorsFilter', () => {
  it('passes the original error through (so `retryable` survives Nest)', async () => {
    const original = Object.assign(new Error('timeout'), { retryable: true });
    await expect(lastValueFrom(new CommandErrorsFilter().catch(original))).rejects.toBe(original);
  });
});
