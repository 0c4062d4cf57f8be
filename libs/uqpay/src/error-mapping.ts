/**
 * The one place where UQPAY answers become errors. Handles envelope A `{type, code, message}`, the legacy
 * envelope B `{code: <number>, message}` and the auth shape `{error}`; see README "Errors".
 */
import {
  UqpayApiError,
  UqpayAuthError,
  UqpayCardError,
  UqpayError,
  UqpayIdempotencyError,
  UqpayInvalidRequestError,
  UqpayRateLimitError,
  UqpayRequestProcessingError,
  UqpayServerError,
} from './errors';

export interface ErrorContext {
  endpoint?: string;
  idempotencyKey?: string;
  /** Scrubs secrets out of provider text before it is put into an error message. */
  scrub?: (text: string) => string;
}

interface ParsedBody {
  type?: string;
  code?: string;
  message?: string;
}

function parseBody(text: string): ParsedBody {
  try {
    const v = JSON.parse(text) as Record<string, unknown> | null;
    if (!v || typeof v !== 'object' || Array.isArray(v)) return {};
    const str = (x: unknown) =>
      typeof x === 'string' ? x : typeof x === 'number' ? String(x) : undefined;
    return {
      type: str(v.type),
      code: str(v.code),
      message: str(v.message) ?? str(v.error) ?? str(v.msg),
    };
  } catch {
    return {};
  }
}

/** True for a 401 that a fresh token fixes (message says the token expired / is invalid). */
export function isTokenRejection(httpStatus: number, bodyText: string): boolean {
  if (httpStatus !== 401) return false;
  const { code, message } = parseBody(bodyText);
  return /token.*(expired|invalid)|(expired|invalid).*token/i.test(
    `${code ?? ''} ${message ?? ''}`,
  );
}

/** Maps a non-2xx answer to the typed hierarchy. Never includes the request or headers. */
export function mapUqpayError(
  httpStatus: number,
  bodyText: string,
  ctx: ErrorContext = {},
): UqpayError {
  const parsed = parseBody(bodyText);
  const scrub = ctx.scrub ?? ((t: string) => t);
  const message = scrub((parsed.message ?? `HTTP ${httpStatus}`).slice(0, 500));
  const base = {
    type: parsed.type ?? 'http_error',
    code: parsed.code ?? `HTTP_${httpStatus}`,
    message,
    endpoint: ctx.endpoint,
    httpStatus,
    idempotencyKey: ctx.idempotencyKey,
  };
  // Identity Gateway quirk: an in-flight duplicate key answers 400 with a message, code sometimes "200".
  if (/request is processing/i.test(parsed.message ?? '')) {
    return new UqpayRequestProcessingError({
      ...base,
      type: base.type,
      code: 'request_processing',
      retryable: true,
    });
  }
  if (httpStatus >= 500 || parsed.type === 'api_error') {
    return new UqpayServerError({ ...base, type: parsed.type ?? 'api_error', retryable: true });
  }
  if (httpStatus === 429 || parsed.code === 'too_many_requests') {
    return new UqpayRateLimitError({ ...base, code: 'too_many_requests', retryable: true });
  }
  if (httpStatus === 408) return new UqpayServerError({ ...base, retryable: true });
  if (httpStatus === 401 || httpStatus === 403 || parsed.type === 'unauthorized_error') {
    return new UqpayAuthError({ ...base, type: parsed.type ?? 'unauthorized_error' });
  }
  switch (parsed.type) {
    case 'invalid_request_error':
      return new UqpayInvalidRequestError(base);
    case 'card_error':
      return new UqpayCardError(base);
    case 'idempotency_error':
      return new UqpayIdempotencyError(base);
    default:
      return new UqpayApiError(base);
  }
}
