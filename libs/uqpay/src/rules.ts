/** Checks made before anything is sent. Each throws UqpayValidationError naming the field and the rule. */
import { UqpayValidationError } from './errors';
import { isUuid } from './idempotency';
import type { ActivateCardInput, UpdateCardStatusInput } from './types';

export const SETTABLE_CARD_STATUSES = ['ACTIVE', 'FROZEN', 'CANCELLED'] as const;

function requireUuid(value: unknown, field: string, endpoint: string): void {
  if (value === undefined || value === null || value === '') {
    throw new UqpayValidationError(field, 'is required', endpoint);
  }
  if (!isUuid(value)) throw new UqpayValidationError(field, 'must be a UUID', endpoint);
}

export function validateCardId(cardId: unknown, endpoint: string): void {
  requireUuid(cardId, 'card_id', endpoint);
}

export function validateOnBehalfOf(value: unknown, endpoint: string): void {
  if (value === undefined) return;
  if (!isUuid(value))
    throw new UqpayValidationError(
      'x-on-behalf-of',
      'must be a UUID (sub-account account_id)',
      endpoint,
    );
}

export function validateActivateCard(input: ActivateCardInput, endpoint: string): void {
  if (!input || typeof input !== 'object')
    throw new UqpayValidationError('body', 'must be an object', endpoint);
  requireUuid(input.card_id, 'card_id', endpoint);
  if (typeof input.activation_code !== 'string' || input.activation_code.trim() === '') {
    throw new UqpayValidationError('activation_code', 'is required (non-empty string)', endpoint);
  }
  if (input.activation_code.length > 64) {
    throw new UqpayValidationError('activation_code', 'must be at most 64 characters', endpoint);
  }
  // The value itself never appears in the error.
  if (typeof input.pin !== 'string' || !/^\d{6}$/.test(input.pin)) {
    throw new UqpayValidationError('pin', 'must be exactly 6 digits', endpoint);
  }
  const amount = input.no_pin_payment_amount;
  if (amount !== undefined) {
    if (typeof amount !== 'number' || !Number.isFinite(amount)) {
      throw new UqpayValidationError('no_pin_payment_amount', 'must be a finite number', endpoint);
    }
    if (amount < 0)
      throw new UqpayValidationError('no_pin_payment_amount', 'must be ≥ 0', endpoint);
  }
}

export function validateUpdateCardStatus(input: UpdateCardStatusInput, endpoint: string): void {
  if (!input || typeof input !== 'object')
    throw new UqpayValidationError('body', 'must be an object', endpoint);
  requireUuid(input.card_id, 'card_id', endpoint);
  if (!(SETTABLE_CARD_STATUSES as readonly string[]).includes(input.card_status)) {
    throw new UqpayValidationError(
      'card_status',
      `must be one of ${SETTABLE_CARD_STATUSES.join(', ')}`,
      endpoint,
    );
  }
  if (input.update_reason !== undefined) {
    if (typeof input.update_reason !== 'string') {
      throw new UqpayValidationError('update_reason', 'must be a string', endpoint);
    }
    if (input.update_reason.length > 255) {
      throw new UqpayValidationError('update_reason', 'must be at most 255 characters', endpoint);
    }
  }
}
