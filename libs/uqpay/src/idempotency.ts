/**
 * Idempotency keys derived from the caller's operation id (the Kafka command id). The same command,
 * redelivered or retried, always sends the same `x-idempotency-key`, so UQPAY replays the first result
 * instead of acting twice (uqpay-node made a new key per retry; we never do).
 *
 * Rule: key = UUIDv5(UQPAY_IDEMPOTENCY_NAMESPACE, `${kind}:${operationId}`). The kind keeps two different
 * provider calls made for one command (e.g. activate, then a status change) from colliding.
 */
import { v5 as uuidv5, validate as uuidValidate } from 'uuid';
import { UqpayValidationError } from './errors';

/** Fixed namespace of this bridge (random, generated once; never change it or replays break). */
export const UQPAY_IDEMPOTENCY_NAMESPACE = '0b6f3c1e-6a0d-4b8e-9d57-2c3f4e5a6b7c';

/** Operation kinds that mutate at UQPAY. */
export type UqpayOperationKind = 'card.activate' | 'card.status.update' | (string & {});

export function uqpayIdempotencyKey(operationId: string, kind: UqpayOperationKind): string {
  if (typeof operationId !== 'string' || operationId.trim() === '') {
    throw new UqpayValidationError('operationId', 'is required (the command id)');
  }
  if (operationId.length > 200)
    throw new UqpayValidationError('operationId', 'must be at most 200 characters');
  if (typeof kind !== 'string' || kind === '')
    throw new UqpayValidationError('kind', 'is required');
  return uuidv5(`${kind}:${operationId}`, UQPAY_IDEMPOTENCY_NAMESPACE);
}

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && uuidValidate(value);
}
