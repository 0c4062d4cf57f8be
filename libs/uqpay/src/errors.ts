/**
 * The single error hierarchy of the UQPAY client. Every failure a caller can see is an UqpayError;
 * `retryable` says whether sending the same operation again WITH THE SAME idempotency key may succeed.
 * Messages never carry request bodies, tokens, the API key or the PIN.
 */
export interface UqpayErrorInit {
  /** Provider `code` (e.g. 'card_not_found') or a client code ('NETWORK', 'TIMEOUT', 'VALIDATION', …). */
  code: string;
  /** Provider `type` (e.g. 'card_error') or a client type ('client_error'). */
  type: string;
  message: string;
  endpoint?: string;
  httpStatus?: number;
  retryable?: boolean;
  /** The x-idempotency-key the failed operation used (safe to log: derived from the command id). */
  idempotencyKey?: string;
  cause?: unknown;
}

export class UqpayError extends Error {
  readonly code: string;
  readonly type: string;
  readonly httpStatus?: number;
  readonly endpoint?: string;
  readonly retryable: boolean;
  idempotencyKey?: string;

  constructor(init: UqpayErrorInit) {
    super(
      `UQPAY ${init.endpoint ? `${init.endpoint} ` : ''}failed: [${init.type}/${init.code}] ${init.message}`,
      init.cause === undefined ? undefined : { cause: init.cause },
    );
    this.name = new.target.name;
    this.code = init.code;
    this.type = init.type;
    this.httpStatus = init.httpStatus;
    this.endpoint = init.endpoint;
    this.retryable = init.retryable ?? false;
    this.idempotencyKey = init.idempotencyKey;
  }
}

/** A final 4xx answer with envelope `{type, code, message}` whose type has no class of its own. */
export class UqpayApiError extends UqpayError {}
/** `invalid_request_error` (400): the provider rejected a field. Final. */
export class UqpayInvalidRequestError extends UqpayApiError {}
/** `card_error` (400), e.g. card_not_found, wrong activation code, wrong card status. Final. */
export class UqpayCardError extends UqpayApiError {}
/** `idempotency_error` (400): the key was reused with a different request. Final. */
export class UqpayIdempotencyError extends UqpayApiError {}
/** 401/403 (`unauthorized_error` or `{error}`) that a token refetch did not fix. Final. */
export class UqpayAuthError extends UqpayApiError {}
/** 429 too_many_requests. Retryable with the same key. */
export class UqpayRateLimitError extends UqpayError {}
/** `api_error` / any 5xx. Retryable with the same key ("safe to retry with the same Idempotency-Key"). */
export class UqpayServerError extends UqpayError {}
/** Legacy 400 "request is processing": the same key is still in flight at UQPAY. Retryable with the same key. */
export class UqpayRequestProcessingError extends UqpayError {}
/** Connection refused / reset / dropped, or an unparsable success body. Retryable. */
export class UqpayNetworkError extends UqpayError {}
/** One attempt timed out (code 'TIMEOUT') or the operation deadline ran out (code 'DEADLINE_EXCEEDED'). Retryable. */
export class UqpayTimeoutError extends UqpayError {}

/** Rejected by the client before sending: names the snake_case field and the rule it broke. Final. */
export class UqpayValidationError extends UqpayError {
  readonly field: string;
  readonly rule: string;

  constructor(field: string, rule: string, endpoint?: string) {
    super({ code: 'VALIDATION', type: 'client_error', message: `${field}: ${rule}`, endpoint });
    this.field = field;
    this.rule = rule;
  }
}

/** Invalid client configuration, thrown at construction. Names the setting, never a secret's value. */
export class UqpayConfigError extends UqpayError {
  readonly field: string;

  constructor(field: string, rule: string) {
    super({ code: 'CONFIG', type: 'client_error', message: `${field}: ${rule}` });
    this.field = field;
  }
}

/** A webhook failed verification or parsing; `field` is the header or body field, `rule` what was wrong. */
export class UqpayWebhookError extends UqpayError {
  readonly field: string;
  readonly rule: string;

  constructor(field: string, rule: string) {
    super({ code: 'WEBHOOK', type: 'client_error', message: `${field}: ${rule}` });
    this.field = field;
    this.rule = rule;
  }
}
