/** Request and response shapes of the UQPAY Card Issuance endpoints this client calls (snake_case as on the wire). */

/** `card_status` is an open union: UQPAY's docs disagree on the enum, so unknown values pass through. */
export type UqpayCardStatus =
  | 'PENDING'
  | 'ACTIVE'
  | 'FROZEN'
  | 'BLOCKED'
  | 'PRE_CANCEL'
  | 'CANCELLED'
  | 'LOST'
  | 'STOLEN'
  | 'FAILED'
  | (string & {});

/** The statuses a client may set through POST /cards/{id}/status. */
export type UqpaySettableCardStatus = 'ACTIVE' | 'FROZEN' | 'CANCELLED';

/** POST /v1/connect/token answer. */
export interface UqpayTokenResponse {
  auth_token: string;
  /** Unix seconds. */
  expired_at: number;
}

/** Input of activateCard. `pin` is PLAINTEXT: sent only in the TLS request body, never logged. */
export interface ActivateCardInput {
  card_id: string;
  activation_code: string;
  /** Exactly 6 digits. */
  pin: string;
  /** ≥ 0; 0 = always require the PIN. Omitted → UQPAY's product default (200 SGD). */
  no_pin_payment_amount?: number;
}

export interface ActivateCardResponse {
  request_status: 'SUCCESS' | (string & {});
}

export interface UpdateCardStatusInput {
  card_id: string;
  card_status: UqpaySettableCardStatus;
  update_reason?: string;
}

export interface UpdateCardStatusResponse {
  card_id: string;
  card_order_id: string;
  /** Usually PENDING: the outcome arrives by the card.status.update.* webhook. Compare case-insensitively. */
  order_status: string;
  update_reason?: string;
}

/** GET /v1/issuing/cards/{id} (subset we rely on; other fields are kept as-is). */
export interface UqpayCard {
  card_id: string;
  card_number?: string;
  form_factor?: 'VIRTUAL' | 'PHYSICAL' | (string & {});
  mode_type?: string;
  card_currency?: string;
  card_status: UqpayCardStatus;
  update_reason?: string;
  cardholder?: Record<string, unknown>;
  [field: string]: unknown;
}

/** Per-call options of mutating calls. */
export interface UqpayMutationOptions {
  /**
   * The caller's operation id — the command id. The idempotency key is derived from it (see
   * uqpayIdempotencyKey), so a redelivered command replays the same key. Required.
   */
  operationId: string;
  /** Sub-account `account_id` (UUID) for `x-on-behalf-of`; omitted = master account. */
  onBehalfOf?: string;
  /** Overall deadline of this operation incl. retries, ms (default: config.retryDeadlineMs). */
  deadlineMs?: number;
}

export interface UqpayReadOptions {
  onBehalfOf?: string;
  deadlineMs?: number;
}
