import { Catch, type RpcExceptionFilter } from '@nestjs/common';
import { throwError, type Observable } from 'rxjs';

const PG_RETRYABLE_CODES = new Set(['57P01', '57P02', '57P03', '53300', '40001', '40P01']);
const NET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);
/**
 * When Postgres cuts a connection while a transaction holds it, TypeORM releases the query runner on the
 * client's 'error' event, so the NEXT statement fails with one of these instead of a connection error.
 * The fault suite saw commands fail for good with them (an apply whose card the provider had made).
 */
const RELEASED_RUNNER_ERRORS = new Set(['QueryRunnerAlreadyReleasedError', 'QueryRunnerProviderAlreadyReleasedError']);
const CONNECTION_LOST =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended unexpectedly/i;

/** True for errors worth another attempt: `retryable === true` (keysecure errors) or a Postgres connection fault. */
export function isRetryable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { retryable?: unknown; code?: unknown; driverError?: unknown; message?: unknown; name?: unknown };
  if (e.retryable === true) return true;
  if (typeof e.name === 'string' && RELEASED_RUNNER_ERRORS.has(e.name)) return true;
  const code = typeof e.code === 'string' ? e.code : undefined;
  if (code && (NET_CODES.has(code) || PG_RETRYABLE_CODES.has(code) || code.startsWith('08'))) return true;
  if (e.driverError && e.driverError !== error) return isRetryable(e.driverError);
  return typeof e.message === 'string' && CONNECTION_LOST.test(e.message);
}

export function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: unknown; driverError?: { code?: unknown } } | null;
  return e?.code === '23505' || e?.driverError?.code === '23505';
}

/**
 * Nest's default RPC filter turns any thrown error into `{status, message}`, losing `retryable`.
 * Put `@UseFilters(CommandErrorsFilter)` on command controllers so the engine sees the real error.
 */
@Catch()
export class CommandErrorsFilter implements RpcExceptionFilter<unknown> {
  catch(exception: unknown): Observable<never> {
    return throwError(() => exception);
  }
}

/**
 * Thrown once shutdown has abandoned in-flight work: by the retry wait, and by a late `ctx.complete`
 * (nothing is written, the offset stays uncommitted, the next owner of the partition redelivers it).
 */
export class CommandAbandoned extends Error {
  override readonly name = 'CommandAbandoned';
  constructor() {
    super('command abandoned at shutdown; it stays uncommitted and will be redelivered');
  }
}

/** The error as structured log fields: class, code and retryability. Never the payload. */
export function errorFields(error: unknown): { name: string; code?: string; retryable: boolean; message?: string } {
  if (typeof error !== 'object' || error === null) return { name: typeof error, retryable: false };
  const e = error as { name?: unknown; code?: unknown; message?: unknown; constructor?: { name?: unknown } };
  const name = typeof e.name === 'string' ? e.name : typeof e.constructor?.name === 'string' ? e.constructor.name : 'Object';
  return {
    name,
    ...(e.code !== undefined && e.code !== null && { code: String(e.code) }),
    retryable: isRetryable(error),
    // Error texts carry rules, never values (see CONTRIBUTING "Secrets").
    ...(typeof e.message === 'string' && { message: e.message }),
  };
}
