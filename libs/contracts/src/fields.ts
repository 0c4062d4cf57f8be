import { decodeProtectedHeader } from './jwe-header';
import { z } from 'zod';
import { ruleMessage } from './violations';

// Field rules shared by several messages. Provider facts come from the KeySecure pages in
// /work/shared/reference; limits marked "ours" are not documented by the provider.

/** Merchant-side unique number (also the Kafka key). KeySecure documents max 64 for card_unique_no; ours for cardholder. */
export const merchantUniqueNo = z
  .string()
  .min(1)
  .max(64)
  .regex(
    /^[\x21-\x7E]+$/,
    ruleMessage('printable_ascii', 'must be printable ASCII without spaces'),
  );

/** A provider-assigned order number (cardholder_no, card_no). Length is ours. */
export const providerNo = z
  .string()
  .min(1)
  .max(64)
  .regex(
    /^[\x21-\x7E]+$/,
    ruleMessage('printable_ascii', 'must be printable ASCII without spaces'),
  );

/** Address texts must be in English (KeySecure card-apply); we accept printable ASCII. Lengths are ours. */
export const englishText = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(/^[\x20-\x7E]+$/, ruleMessage('english_text', 'must be English text (printable ASCII)'));

export const digits = (
  min: number,
  max: number,
  rule = 'digits_only',
  what = 'must contain digits only',
) =>
  z
    .string()
    .min(min)
    .max(max)
    .regex(/^[0-9]+$/, ruleMessage(rule, what));

export const countryCode = z
  .string()
  .regex(
    /^[A-Z]{2}$/,
    ruleMessage('iso_country', 'must be an ISO 3166-1 alpha-2 country code in capitals'),
  );

export const rfc3339 = z.iso.datetime({
  offset: true,
  error: ruleMessage('rfc3339', 'must be an RFC 3339 date-time with offset'),
});

export const uuid = z.uuid({ error: ruleMessage('uuid', 'must be a UUID') });

export const SEALING_ALG = 'RSA-OAEP-256';
export const SEALING_ENC = 'A256GCM';

const JWE_COMPACT =
  /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** A secret sealed with sealSecret(): JWE compact serialization, RSA-OAEP-256 + A256GCM. */
export const sealedSecret = z
  .string()
  .max(4096)
  .regex(
    JWE_COMPACT,
    ruleMessage(
      'jwe_compact',
      'must be a JWE compact serialization sealed with sealSecret(); plaintext is not accepted',
    ),
  )
  .refine(
    (value) => {
      const header = decodeProtectedHeader(value);
      return header !== undefined && header.alg === SEALING_ALG && header.enc === SEALING_ENC;
    },
    {
      error: ruleMessage(
        'jwe_algorithm',
        `must be sealed with alg ${SEALING_ALG} and enc ${SEALING_ENC}`,
      ),
      abort: true,
    },
  );

/** Failure code: the provider's numeric code, or our own snake_case reason (see FAILURE_REASONS). */
export const failureCode = z.union([
  z.number().int(),
  z
    .string()
    .regex(/^[a-z][a-z0-9_]*$/, ruleMessage('snake_case', 'must be a snake_case reason'))
    .max(64),
]);

export const failureMsg = z.string().max(1024);

/** Our own failure reasons (the provider's are numbers). Others may be added; they stay snake_case. */
export const FAILURE_REASONS = {
  providerUnavailable: 'provider_unavailable',
  providerRejected: 'provider_rejected',
  invalidTransition: 'invalid_transition',
  weakPin: 'weak_pin',
  sealedSecretUnreadable: 'sealed_secret_unreadable',
  unknownCard: 'unknown_card',
  unknownCardholder: 'unknown_cardholder',
  deadlineExceeded: 'deadline_exceeded',
} as const;
