import { z } from 'zod';
import {
  cardActivateData,
  cardActivateUqpayData,
  cardApplyData,
  cardholderKycApplyData,
  cardPinSetData,
  cardStatusUpdateData,
  ruleMessage,
  zodErrorToViolations,
  type Violation,
} from '@issuing-bridge/contracts';

/**
 * Request bodies of the HTTP API. They reuse the command data schemas of libs/contracts, so a body is
 * refused by exactly the rules a Kafka command would be. CVV / PIN arrive in plaintext over HTTPS and
 * are replaced by their sealed form before the command is built.
 */
export const cardholderApplyBody = cardholderKycApplyData;
export const cardApplyBody = cardApplyData;

const keysecureActivationBody = z
  .strictObject({
    provider: z.literal('keysecure').optional().describe('keysecure (the default when absent)'),
    cvv: z
      .string()
      .regex(/^[0-9]{3}$/, ruleMessage('three_digits', 'must be exactly 3 digits'))
      .describe('Plaintext CVV (3 digits); sealed on receipt, never stored or logged'),
    card_last_no: cardActivateData.shape.card_last_no,
  })
  .meta({ title: 'KeySecureCardActivationRequest' });

const uqpayActivationBody = z
  .strictObject({
    provider: z.literal('uqpay'),
    card_id: cardActivateUqpayData.shape.card_id,
    activation_code: cardActivateUqpayData.shape.activation_code,
    pin: z
      .string()
      .regex(/^[0-9]{6}$/, ruleMessage('six_digits', 'must be exactly 6 digits'))
      .describe('Plaintext PIN (6 digits) set at activation; sealed on receipt, never stored or logged'),
    no_pin_payment_amount: cardActivateUqpayData.shape.no_pin_payment_amount,
  })
  .meta({ title: 'UqpayCardActivationRequest' });

/** KeySecure (provider absent or keysecure): cvv + card_last_no; UQPAY (provider uqpay): card_id, activation_code, pin. */
export const cardActivationBody = z
  .discriminatedUnion('provider', [keysecureActivationBody, uqpayActivationBody])
  .meta({ title: 'CardActivationRequest' });

export const cardStatusBody = cardStatusUpdateData
  .omit({ card_unique_no: true })
  .meta({ title: 'CardStatusRequest' });

export const cardPinBody = z
  .strictObject({
    pin: z
      .string()
      .regex(/^[0-9]{6}$/, ruleMessage('six_digits', 'must be exactly 6 digits'))
      .describe('Plaintext PIN (6 digits); sealed on receipt, never stored or logged'),
  })
  .meta({ title: 'CardPinRequest' });

const cardUniqueNoParam = cardPinSetData.pick({ card_unique_no: true });

export type Validated<T> = { ok: true; value: T } | { ok: false; violations: Violation[] };

/** Validates without ever copying the input into the result (no `reportInput`). */
export function validateBody<S extends z.ZodType>(
  schema: S,
  body: unknown,
): Validated<z.output<S>> {
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    return {
      ok: false,
      violations: [{ field: '$', rule: 'type', message: '$ must be a JSON object (valid JSON)' }],
    };
  }
  const result = schema.safeParse(body);
  return result.success
    ? { ok: true, value: result.data }
    : { ok: false, violations: zodErrorToViolations(result.error) };
}

/** The `{card_unique_no}` path parameter, checked with the command's rule for that field. */
export function validateCardUniqueNo(value: string): Violation[] {
  const result = cardUniqueNoParam.safeParse({ card_unique_no: value });
  return result.success ? [] : zodErrorToViolations(result.error);
}
