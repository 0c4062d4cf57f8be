/**
 * The single error hierarchy of the KeySecure client. Every failure a caller can see is a
 * KeySecureError; `retryable` says whether trying the same operation later may succeed.
 * Messages never carry request bodies, tokens or secrets.
 */
export type KeySecureErrorCode = number | string;

export interface KeySecureErrorInit {
  code: KeySecureErrorCode;
  msg: string;
  endpoint?: string;
  httpStatus?: number;
  retryable?: boolean;
  cause?: unknown;
}

export class KeySecureError extends Error {
  /** Provider envelope code (number) or a client code such as 'NETWORK', 'TIMEOUT', 'VALIDATION'. */
  readonly code: KeySecureErrorCode;
  readonly msg: string;
  readonly httpStatus?: number;
  readonly endpoint?: string;
  readonly retryable: boolean;

  constructor(init: KeySecureErrorInit) {
    super(
      `KeySecure ${init.endpoint ?? ''}${init.endpoint ? ' ' : ''}failed: [${init.code}] ${init.msg}`,
      init.cause === undefined ? undefined : { cause: init.cause },
    );
    this.name = new.target.name;
    this.code = init.code;
    this.msg = init.msg;
    this.httpStatus = init.httpStatus;
    this.endpoint = init.endpoint;
    this.retryable = init.retryable ?? false;
  }
}

/** The provider answered with a non-zero envelope `code` (see README for the code table). */
export class KeySecureApiError extends KeySecureError {}

/** HTTP-level failure without a usable success envelope (5xx, 429, other non-2xx, unparsable body). */
export class KeySecureHttpError extends KeySecureError {}

/** Connection refused / reset / dropped before a full response arrived. */
export class KeySecureNetworkError extends KeySecureError {}

/** One attempt exceeded its timeout, or the overall retry deadline ran out (code 'DEADLINE_EXCEEDED'). */
export class KeySecureTimeoutError extends KeySecureError {}

/** Rejected by the client before sending: names the snake_case field and the rule it broke. */
export class KeySecureValidationError extends KeySecureError {
  readonly field: string;
  readonly rule: string;

  constructor(field: string, rule: string, endpoint?: string) {
    super({ code: 'VALIDATION', msg: `${field}: ${rule}`, endpoint, retryable: false });
    this.field = field;
    this.rule = rule;
  }
}

/** Invalid client configuration (bad base URL, apiSecret of the wrong length, …). Thrown at construction. */
export class KeySecureConfigError extends KeySecureError {
  readonly field: string;

  constructor(field: string, rule: string) {
    super({ code: 'CONFIG', msg: `${field}: ${rule}`, retryable: false });
    this.field = field;
  }
}
