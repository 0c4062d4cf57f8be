/** UQPAY error answers as the sandbox sends them: envelope A `{type, code, message}` with its HTTP status. */
export class UqpayApiFailure extends Error {
  constructor(
    readonly httpStatus: number,
    readonly body: Record<string, unknown>,
  ) {
    super(String(body.message ?? body.error ?? 'error'));
  }
}

export const invalidRequest = (field: string, rule: string, code = 'invalid_parameter') =>
  new UqpayApiFailure(400, { type: 'invalid_request_error', code, message: `${field}: ${rule}` });

export const cardError = (code: string, message: string) =>
  new UqpayApiFailure(400, { type: 'card_error', code, message });

export const unauthorized = (message: string) =>
  new UqpayApiFailure(401, { type: 'unauthorized_error', code: 'unauthorized', message });

/** The auth shape UQPAY uses for a dead token (`{error}`), which the SDKs refresh on. */
export const tokenRejected = (message: string) => new UqpayApiFailure(401, { error: message });

export const apiError = (message = 'internal error, safe to retry with the same idempotency key') =>
  new UqpayApiFailure(500, { type: 'api_error', code: 'internal_error', message });
