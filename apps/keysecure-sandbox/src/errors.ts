/**
 * Envelope codes. 0 and 1xxx, 4005, 4016, 4017 are documented by KeySecure; the other 2xxx/4xxx values are
 * the sandbox's own choices (the real table is unknown past 1013) and are listed in the README.
 */
export const ResultCode = {
  Success: 0,
  SystemError: 1001,
  ApiKeyRequired: 1002,
  InvalidParameter: 1004,
  TimestampInvalid: 1005,
  AccessTokenRequired: 1006,
  AccessTokenInvalid: 1007,
  ApiKeyUnknown: 1008,
  TooFrequent: 1009,
  ApiKeyDisabled: 1010,
  // sandbox choices
  CardholderUniqueNoExists: 2001,
  CardholderNotFound: 2002,
  CardholderUniqueNoMismatch: 2003,
  CardholderAlreadyApproved: 2004,
  CardNotFound: 4001,
  CardUniqueNoExists: 4002,
  CardStatusTransitionNotAllowed: 4003,
  CardNotOwnedByCardholder: 4004,
  // documented
  CardNotActivated: 4005,
  CardLastNoMismatch: 4006,
  CvvInvalid: 4007,
  PinInvalid: 4016,
  PinNotSupportedForVirtualCard: 4017,
} as const;

export const defaultMessages: Record<number, string> = {
  0: 'Success',
  1001: 'System error, please retry later',
  1002: 'Api-Key is required',
  1003: 'IP address not allowed',
  1004: 'Invalid request parameter',
  1005: 'Timestamp invalid or expired',
  1006: 'Access-Token is required',
  1007: 'Access-Token invalid or expired',
  1008: 'Api-Key does not exist',
  1009: 'Operation too frequent',
  1010: 'Api-Key not enabled',
  1011: 'Api-Key expired',
  1012: 'Merchant integration mode not supported',
  1013: 'PCI sensitive card information is not enabled',
};

/** A provider-side refusal: answered as HTTP 200 `{code,msg}` without data, like the real API. */
export class ProviderError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'ProviderError';
  }
}

/** 1004 with the snake_case field name leading the message, as the docs describe. */
export function invalidParameter(field: string, rule: string): ProviderError {
  return new ProviderError(ResultCode.InvalidParameter, `${field} ${rule}`);
}
