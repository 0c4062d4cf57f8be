import { z } from 'zod';
import { envelopeSchema } from './envelope';
import {
  countryCode,
  digits,
  englishText,
  merchantUniqueNo,
  providerNo,
  sealedSecret,
  uuid,
} from './fields';
import { ruleMessage } from './violations';

export const COMMAND_TYPES = {
  cardholderKycApply: 'cardholder.kyc.apply.v1',
  cardApply: 'card.apply.v1',
  cardActivate: 'card.activate.v1',
  cardStatusUpdate: 'card.status.update.v1',
  cardPinSet: 'card.pin.set.v1',
} as const;
export type CommandType = (typeof COMMAND_TYPES)[keyof typeof COMMAND_TYPES];
export const COMMAND_TYPE_LIST = Object.values(COMMAND_TYPES) as CommandType[];

export const CARD_TYPES = ['Virtual', 'Physical'] as const;
export type CardType = (typeof CARD_TYPES)[number];

/**
 * card.status.update.v1 speaks in provider-neutral actions. KeySecure maps them to the target status
 * of /card/status/update: freeze → Frozen, unfreeze → Activated, cancel → Delete (libs/keysecure owns that).
 */
export const CARD_STATUS_ACTIONS = ['freeze', 'unfreeze', 'cancel'] as const;
export type CardStatusAction = (typeof CARD_STATUS_ACTIONS)[number];

// --- cardholder.kyc.apply.v1 ----------------------------------------------------------------------

export const cardholderKycApplyData = z
  .strictObject({
    cardholder_unique_no: merchantUniqueNo.describe(
      'Merchant-side unique cardholder number; the Kafka key',
    ),
    cardholder_no: providerNo
      .optional()
      .describe(
        'KeySecure cardholder number: leave out to create, send it to update (re-submit KYC)',
      ),
    sumsub_share_token: z.string().min(1).max(4096).describe('Sumsub shareToken of the applicant'),
  })
  .meta({ title: 'CardholderKycApplyData' });

// --- card.apply.v1 --------------------------------------------------------------------------------

const phoneCode = digits(1, 4, 'digits_only', 'must contain digits only, without +');
const phone = digits(4, 20, 'digits_only', 'must contain digits only');
const postalCode = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9 -]{0,15}$/,
    ruleMessage('postal_code', 'must be 1-16 letters, digits, spaces or hyphens'),
  );

const addressFields = {
  postal_code: postalCode,
  country: countryCode,
  state: englishText(64),
  city: englishText(64),
  address_line1: englishText(128),
  address_line2: englishText(128).optional(),
};

/** Physical cards: the whole address is required (address_line2 stays optional, as line 2 is by nature). */
export const physicalAddressInfo = z
  .strictObject({
    first_name: englishText(64),
    last_name: englishText(64),
    phone_code: phoneCode,
    phone,
    ...addressFields,
  })
  .meta({ title: 'PhysicalCardAddressInfo' });

/** Virtual cards: address optional; when sent, postal_code, country, state, city and address_line1 are required. */
export const virtualAddressInfo = z
  .strictObject({
    first_name: englishText(64).optional(),
    last_name: englishText(64).optional(),
    phone_code: phoneCode.optional(),
    phone: phone.optional(),
    ...addressFields,
  })
  .meta({ title: 'VirtualCardAddressInfo' });

const cardApplyCommon = {
  card_unique_no: merchantUniqueNo.describe(
    'Merchant-side unique card number (max 64); the Kafka key',
  ),
  cardholder_no: providerNo.describe(
    'KeySecure cardholder number (from cardholder.kyc.applied.v1)',
  ),
  card_bin_no: providerNo
    .optional()
    .describe('BIN mode (AUTHORIZATION): exactly one of card_bin_no / package_no'),
  package_no: providerNo
    .optional()
    .describe('Package mode (CREDIT_EXTENSION): exactly one of card_bin_no / package_no'),
};

export const cardApplyData = z
  .discriminatedUnion('card_type', [
    z.strictObject({
      ...cardApplyCommon,
      card_type: z.literal('Physical'),
      address_info: physicalAddressInfo,
    }),
    z.strictObject({
      ...cardApplyCommon,
      card_type: z.literal('Virtual'),
      address_info: virtualAddressInfo.optional(),
    }),
  ])
  .superRefine((data, ctx) => {
    const modes = [data.card_bin_no, data.package_no].filter((v) => v !== undefined).length;
    if (modes !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['card_bin_no'],
        message: ruleMessage(
          'exactly_one_of',
          modes === 0
            ? 'or package_no is required (BIN mode or package mode)'
            : 'and package_no must not both be sent (BIN mode xor package mode)',
        ),
      });
    }
  })
  .meta({
    title: 'CardApplyData',
    description: 'Exactly one of card_bin_no (BIN mode) or package_no (package mode).',
  });

// --- card.activate.v1 / card.status.update.v1 / card.pin.set.v1 -----------------------------------

/** Card-issuing providers a command may name. Absent = KeySecure (every command before UQPAY). */
export const CARD_PROVIDERS = ['keysecure', 'uqpay'] as const;
export type CardProviderName = (typeof CARD_PROVIDERS)[number];

/** KeySecure activation (the original card.activate.v1 data; `provider` is optional and defaults to keysecure). */
export const cardActivateData = z
  .strictObject({
    provider: z
      .literal('keysecure')
      .optional()
      .describe('keysecure (the default when absent)'),
    card_unique_no: merchantUniqueNo,
    card_last_no: z
      .string()
      .regex(/^[0-9]{4}$/, ruleMessage('four_digits', 'must be exactly 4 digits')),
    cvv_jwe: sealedSecret.describe(
      'CVV (3 digits) sealed with sealSecret(); only card-svc can open it',
    ),
  })
  .meta({ title: 'CardActivateData' });

/**
 * UQPAY activation of a physical card. A card card-svc has never seen is registered on its first
 * activate (card_unique_no ↔ card_id, provider uqpay), so the command carries UQPAY's card_id.
 */
export const cardActivateUqpayData = z
  .strictObject({
    provider: z.literal('uqpay'),
    card_unique_no: merchantUniqueNo.describe('Merchant-side unique card number; the Kafka key'),
    card_id: uuid.describe('UQPAY card_id (UUID)'),
    activation_code: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[\x21-\x7E]+$/, ruleMessage('printable_ascii', 'must be printable ASCII without spaces'))
      .describe('Activation code delivered with the physical card'),
    pin_jwe: sealedSecret.describe(
      'PIN (6 digits) sealed with sealSecret(); only card-svc can open it',
    ),
    no_pin_payment_amount: z
      .number()
      .min(0, ruleMessage('min_zero', 'must be 0 or more'))
      .optional()
      .describe("Contactless amount without PIN (0 = always ask); absent = UQPAY's product default"),
  })
  .meta({ title: 'CardActivateUqpayData' });

/** card.activate.v1 data: the KeySecure variant (provider absent or keysecure) or the UQPAY variant. */
export const cardActivateCommandData = z
  .discriminatedUnion('provider', [cardActivateData, cardActivateUqpayData])
  .meta({
    title: 'CardActivateCommandData',
    description: 'provider absent or keysecure: card_last_no + cvv_jwe; provider uqpay: card_id + activation_code + pin_jwe.',
  });

export const cardStatusUpdateData = z
  .strictObject({
    card_unique_no: merchantUniqueNo,
    action: z
      .enum(CARD_STATUS_ACTIONS)
      .describe('freeze → Frozen, unfreeze → Activated, cancel → Delete'),
  })
  .meta({ title: 'CardStatusUpdateData' });

export const cardPinSetData = z
  .strictObject({
    card_unique_no: merchantUniqueNo,
    pin_jwe: sealedSecret.describe(
      'PIN (6 digits) sealed with sealSecret(); only card-svc can open it',
    ),
  })
  .meta({ title: 'CardPinSetData' });

// --- envelopes ------------------------------------------------------------------------------------

export const commandSchemas = {
  [COMMAND_TYPES.cardholderKycApply]: envelopeSchema(
    COMMAND_TYPES.cardholderKycApply,
    cardholderKycApplyData,
    {
      causationRequired: false,
      subjectField: 'cardholder_unique_no',
      description:
        'Create (no cardholder_no) or update (with cardholder_no) a cardholder KYC application.',
    },
  ),
  [COMMAND_TYPES.cardApply]: envelopeSchema(COMMAND_TYPES.cardApply, cardApplyData, {
    causationRequired: false,
    subjectField: 'card_unique_no',
    description: 'Apply for a virtual or physical card in BIN mode or package mode.',
  }),
  [COMMAND_TYPES.cardActivate]: envelopeSchema(COMMAND_TYPES.cardActivate, cardActivateCommandData, {
    causationRequired: false,
    subjectField: 'card_unique_no',
    description:
      'Activate a physical card (ToActivate → Activated): KeySecure with its last 4 digits and sealed CVV, UQPAY (provider uqpay) with card_id, activation code and sealed PIN.',
  }),
  [COMMAND_TYPES.cardStatusUpdate]: envelopeSchema(
    COMMAND_TYPES.cardStatusUpdate,
    cardStatusUpdateData,
    {
      causationRequired: false,
      subjectField: 'card_unique_no',
      description: 'Freeze, unfreeze or cancel a card.',
    },
  ),
  [COMMAND_TYPES.cardPinSet]: envelopeSchema(COMMAND_TYPES.cardPinSet, cardPinSetData, {
    causationRequired: false,
    subjectField: 'card_unique_no',
    description: 'Set the PIN of an activated physical card.',
  }),
} as const;

/** The data field that is the Kafka key (and envelope subject) of each command. */
export const COMMAND_KEY_FIELD = {
  [COMMAND_TYPES.cardholderKycApply]: 'cardholder_unique_no',
  [COMMAND_TYPES.cardApply]: 'card_unique_no',
  [COMMAND_TYPES.cardActivate]: 'card_unique_no',
  [COMMAND_TYPES.cardStatusUpdate]: 'card_unique_no',
  [COMMAND_TYPES.cardPinSet]: 'card_unique_no',
} as const satisfies Record<CommandType, string>;

export type Command<T extends CommandType = CommandType> = T extends CommandType
  ? z.infer<(typeof commandSchemas)[T]>
  : never;
export type CommandData<T extends CommandType> = Command<T>['data'];

export type CardholderKycApplyCommand = Command<typeof COMMAND_TYPES.cardholderKycApply>;
export type CardApplyCommand = Command<typeof COMMAND_TYPES.cardApply>;
export type CardActivateCommand = Command<typeof COMMAND_TYPES.cardActivate>;
/** card.activate.v1 narrowed to one provider's variant (`provider` absent = keysecure). */
export type CardActivateKeySecureCommand = CardActivateCommand & { data: z.infer<typeof cardActivateData> };
export type CardActivateUqpayCommand = CardActivateCommand & { data: z.infer<typeof cardActivateUqpayData> };
export type CardStatusUpdateCommand = Command<typeof COMMAND_TYPES.cardStatusUpdate>;
export type CardPinSetCommand = Command<typeof COMMAND_TYPES.cardPinSet>;

export function isCommandType(value: unknown): value is CommandType {
  return typeof value === 'string' && (COMMAND_TYPE_LIST as string[]).includes(value);
}
