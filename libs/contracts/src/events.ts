import { z } from 'zod';
import { CARD_STATUS_ACTIONS, CARD_TYPES, COMMAND_TYPE_LIST } from './commands';
import { envelopeSchema } from './envelope';
import { failureCode, failureMsg, merchantUniqueNo, providerNo, rfc3339, uuid } from './fields';

export const EVENT_TYPES = {
  cardholderKycApplied: 'cardholder.kyc.applied.v1',
  cardholderKycApplyFailed: 'cardholder.kyc.apply_failed.v1',
  cardholderKycStatusChanged: 'cardholder.kyc_status_changed.v1',
  cardApplied: 'card.applied.v1',
  cardApplyFailed: 'card.apply_failed.v1',
  cardActivated: 'card.activated.v1',
  cardActivateFailed: 'card.activate_failed.v1',
  cardStatusUpdated: 'card.status.updated.v1',
  cardStatusUpdateFailed: 'card.status.update_failed.v1',
  // `card.pin.set.v1` is the command, so the result events say succeeded / failed.
  cardPinSetSucceeded: 'card.pin.set_succeeded.v1',
  cardPinSetFailed: 'card.pin.set_failed.v1',
  cardStatusChanged: 'card.status_changed.v1',
  commandRejected: 'command.rejected.v1',
  keysecureCallbackReceived: 'keysecure.callback.received.v1',
  uqpayWebhookReceived: 'uqpay.webhook.received.v1',
} as const;
export type EventType = (typeof EVENT_TYPES)[keyof typeof EVENT_TYPES];
export const EVENT_TYPE_LIST = Object.values(EVENT_TYPES) as EventType[];

/** KeySecure cardholder (KYC) status, constants 8.8. */
export const KYC_STATUSES = ['Pending', 'In_progress', 'Approved', 'Rejected'] as const;
export type KycStatus = (typeof KYC_STATUSES)[number];
/** KeySecure card status, constants 8.2. */
export const CARD_STATUSES = [
  'Pending',
  'ToActivate',
  'Activated',
  'Fail',
  'Frozen',
  'Delete',
] as const;
export type CardStatus = (typeof CARD_STATUSES)[number];

export const KYC_STATUS_SOURCES = ['command', 'poll', 'reconciliation'] as const;
export const CARD_STATUS_SOURCES = ['command', 'poll', 'callback', 'reconciliation'] as const;

const kycStatus = z.enum(KYC_STATUSES);
const cardStatus = z.enum(CARD_STATUSES);
const kycOperation = z
  .enum(['create', 'update'])
  .describe('create: no cardholder_no was sent; update: it was');

// Failure data: `code` is the provider's number or our snake_case reason; `msg` is human text that
// never carries a secret (services must not copy sealed or decrypted values into it).
const failure = { code: failureCode, msg: failureMsg };

const cardholderKycAppliedData = z.strictObject({
  cardholder_unique_no: merchantUniqueNo,
  cardholder_no: providerNo,
  operation: kycOperation,
  status: kycStatus.describe('KYC status right after the application (usually Pending)'),
});
const cardholderKycApplyFailedData = z.strictObject({
  cardholder_unique_no: merchantUniqueNo,
  cardholder_no: providerNo.nullable(),
  operation: kycOperation,
  ...failure,
});
const cardholderKycStatusChangedData = z.strictObject({
  cardholder_unique_no: merchantUniqueNo,
  cardholder_no: providerNo,
  before: kycStatus.nullable().describe('null when the cardholder was first seen'),
  after: kycStatus,
  fail_reason: z.string().max(1024).nullable().describe('the provider fail_reason when Rejected'),
  source: z.enum(KYC_STATUS_SOURCES),
  time: rfc3339.describe('when the change was observed or reported by the provider'),
});
const cardAppliedData = z.strictObject({
  card_unique_no: merchantUniqueNo,
  card_no: providerNo,
  cardholder_no: providerNo,
  card_type: z.enum(CARD_TYPES),
  status: cardStatus.describe('card status right after the application (usually Pending)'),
});
const cardApplyFailedData = z.strictObject({
  card_unique_no: merchantUniqueNo,
  cardholder_no: providerNo,
  ...failure,
});
const cardActivatedData = z.strictObject({ card_unique_no: merchantUniqueNo, card_no: providerNo });
const cardActivateFailedData = z.strictObject({
  card_unique_no: merchantUniqueNo,
  card_no: providerNo.nullable(),
  ...failure,
});
const cardStatusUpdatedData = z.strictObject({
  card_unique_no: merchantUniqueNo,
  card_no: providerNo,
  action: z.enum(CARD_STATUS_ACTIONS),
  status: cardStatus.describe('the status the card now has'),
});
const cardStatusUpdateFailedData = z.strictObject({
  card_unique_no: merchantUniqueNo,
  card_no: providerNo.nullable(),
  action: z.enum(CARD_STATUS_ACTIONS),
  ...failure,
});
const cardPinSetSucceededData = z.strictObject({
  card_unique_no: merchantUniqueNo,
  card_no: providerNo,
});
const cardPinSetFailedData = z.strictObject({
  card_unique_no: merchantUniqueNo,
  card_no: providerNo.nullable(),
  ...failure,
});
const cardStatusChangedData = z.strictObject({
  card_unique_no: merchantUniqueNo,
  card_no: providerNo,
  before: cardStatus.nullable().describe('null when the card was first seen'),
  after: cardStatus,
  source: z.enum(CARD_STATUS_SOURCES),
  reason: z.string().max(1024).nullable(),
  time: rfc3339.describe('when the change happened (provider time when known)'),
});
const violationSchema = z.strictObject({
  field: z.string().min(1),
  rule: z.string().min(1),
  message: z.string(),
});
const commandRejectedData = z.strictObject({
  command_id: uuid.nullable().describe('id of the rejected command when it was a valid UUID'),
  command_type: z
    .enum(COMMAND_TYPE_LIST as [string, ...string[]])
    .nullable()
    .describe('when known'),
  violations: z
    .array(violationSchema)
    .min(1)
    .describe('which field broke which rule; never the value'),
});
// The callback body exactly as KeySecure sent it (after the gateway verified its signature).
const keysecureCallbackReceivedData = z.looseObject({
  id: z.string().min(1),
  action: z.string().min(1).describe('Auth | Consumption | Card_update'),
  data: z.record(z.string(), z.unknown()),
});

// The UQPAY webhook envelope as the gateway verified it (event_type normalised to the specific name).
const uqpayWebhookReceivedData = z.looseObject({
  event_id: z.string().min(1).max(128),
  event_name: z.string().min(1).describe('category, e.g. ISSUING'),
  event_type: z
    .string()
    .min(1)
    .describe('card.activation.status | card.status.update.succeeded | card.status.update.failed | …'),
  source_id: z.string().optional(),
  version: z.string().optional(),
  data: z.record(z.string(), z.unknown()),
  timestamp_ms: z.number().int().describe('x-wk-timestamp of the verified delivery, Unix ms'),
});

export const eventSchemas = {
  [EVENT_TYPES.cardholderKycApplied]: envelopeSchema(
    EVENT_TYPES.cardholderKycApplied,
    cardholderKycAppliedData,
    {
      causationRequired: true,
      subjectField: 'cardholder_unique_no',
      description: 'The provider accepted a KYC application (create or update).',
    },
  ),
  [EVENT_TYPES.cardholderKycApplyFailed]: envelopeSchema(
    EVENT_TYPES.cardholderKycApplyFailed,
    cardholderKycApplyFailedData,
    {
      causationRequired: true,
      subjectField: 'cardholder_unique_no',
      description: 'A KYC application failed for good.',
    },
  ),
  [EVENT_TYPES.cardholderKycStatusChanged]: envelopeSchema(
    EVENT_TYPES.cardholderKycStatusChanged,
    cardholderKycStatusChangedData,
    {
      causationRequired: false,
      subjectField: 'cardholder_unique_no',
      description: 'A cardholder KYC status really changed.',
    },
  ),
  [EVENT_TYPES.cardApplied]: envelopeSchema(EVENT_TYPES.cardApplied, cardAppliedData, {
    causationRequired: true,
    subjectField: 'card_unique_no',
    description: 'The provider accepted a card application; issuance continues asynchronously.',
  }),
  [EVENT_TYPES.cardApplyFailed]: envelopeSchema(EVENT_TYPES.cardApplyFailed, cardApplyFailedData, {
    causationRequired: true,
    subjectField: 'card_unique_no',
    description: 'A card application failed for good.',
  }),
  [EVENT_TYPES.cardActivated]: envelopeSchema(EVENT_TYPES.cardActivated, cardActivatedData, {
    causationRequired: true,
    subjectField: 'card_unique_no',
    description: 'A physical card was activated.',
  }),
  [EVENT_TYPES.cardActivateFailed]: envelopeSchema(
    EVENT_TYPES.cardActivateFailed,
    cardActivateFailedData,
    {
      causationRequired: true,
      subjectField: 'card_unique_no',
      description: 'Activation failed for good.',
    },
  ),
  [EVENT_TYPES.cardStatusUpdated]: envelopeSchema(
    EVENT_TYPES.cardStatusUpdated,
    cardStatusUpdatedData,
    {
      causationRequired: true,
      subjectField: 'card_unique_no',
      description: 'A freeze / unfreeze / cancel command succeeded.',
    },
  ),
  [EVENT_TYPES.cardStatusUpdateFailed]: envelopeSchema(
    EVENT_TYPES.cardStatusUpdateFailed,
    cardStatusUpdateFailedData,
    {
      causationRequired: true,
      subjectField: 'card_unique_no',
      description: 'A freeze / unfreeze / cancel command failed for good.',
    },
  ),
  [EVENT_TYPES.cardPinSetSucceeded]: envelopeSchema(
    EVENT_TYPES.cardPinSetSucceeded,
    cardPinSetSucceededData,
    {
      causationRequired: true,
      subjectField: 'card_unique_no',
      description: 'The PIN was set.',
    },
  ),
  [EVENT_TYPES.cardPinSetFailed]: envelopeSchema(
    EVENT_TYPES.cardPinSetFailed,
    cardPinSetFailedData,
    {
      causationRequired: true,
      subjectField: 'card_unique_no',
      description:
        'Setting the PIN failed for good (e.g. weak_pin, 4005 not activated, 4017 virtual card).',
    },
  ),
  [EVENT_TYPES.cardStatusChanged]: envelopeSchema(
    EVENT_TYPES.cardStatusChanged,
    cardStatusChangedData,
    {
      causationRequired: false,
      subjectField: 'card_unique_no',
      description: 'A card status really changed, whatever the source; emitted once per change.',
    },
  ),
  [EVENT_TYPES.commandRejected]: envelopeSchema(EVENT_TYPES.commandRejected, commandRejectedData, {
    causationRequired: false,
    unboundedSubject: true,
    description:
      'A command failed validation; it is not retried and is copied to the DLQ. subject = the Kafka key of the rejected record (or its id).',
  }),
  [EVENT_TYPES.keysecureCallbackReceived]: envelopeSchema(
    EVENT_TYPES.keysecureCallbackReceived,
    keysecureCallbackReceivedData,
    {
      causationRequired: false,
      description:
        'A KeySecure callback whose signature the gateway verified. subject = data.data.card_no when present, else data.id.',
    },
  ),
  [EVENT_TYPES.uqpayWebhookReceived]: envelopeSchema(
    EVENT_TYPES.uqpayWebhookReceived,
    uqpayWebhookReceivedData,
    {
      causationRequired: false,
      description:
        'A UQPAY webhook whose signature and timestamp the gateway verified, once per event_id. subject = data.data.card_id when present, else data.source_id, else data.event_id.',
    },
  ),
} as const;

export type DomainEvent<T extends EventType = EventType> = T extends EventType
  ? z.infer<(typeof eventSchemas)[T]>
  : never;
export type EventData<T extends EventType> = DomainEvent<T>['data'];

export type CardholderKycAppliedEvent = DomainEvent<typeof EVENT_TYPES.cardholderKycApplied>;
export type CardholderKycApplyFailedEvent = DomainEvent<
  typeof EVENT_TYPES.cardholderKycApplyFailed
>;
export type CardholderKycStatusChangedEvent = DomainEvent<
  typeof EVENT_TYPES.cardholderKycStatusChanged
>;
export type CardAppliedEvent = DomainEvent<typeof EVENT_TYPES.cardApplied>;
export type CardApplyFailedEvent = DomainEvent<typeof EVENT_TYPES.cardApplyFailed>;
export type CardActivatedEvent = DomainEvent<typeof EVENT_TYPES.cardActivated>;
export type CardActivateFailedEvent = DomainEvent<typeof EVENT_TYPES.cardActivateFailed>;
export type CardStatusUpdatedEvent = DomainEvent<typeof EVENT_TYPES.cardStatusUpdated>;
export type CardStatusUpdateFailedEvent = DomainEvent<typeof EVENT_TYPES.cardStatusUpdateFailed>;
export type CardPinSetSucceededEvent = DomainEvent<typeof EVENT_TYPES.cardPinSetSucceeded>;
export type CardPinSetFailedEvent = DomainEvent<typeof EVENT_TYPES.cardPinSetFailed>;
export type CardStatusChangedEvent = DomainEvent<typeof EVENT_TYPES.cardStatusChanged>;
export type CommandRejectedEvent = DomainEvent<typeof EVENT_TYPES.commandRejected>;
export type KeysecureCallbackReceivedEvent = DomainEvent<
  typeof EVENT_TYPES.keysecureCallbackReceived
>;
export type UqpayWebhookReceivedEvent = DomainEvent<typeof EVENT_TYPES.uqpayWebhookReceived>;

export function isEventType(value: unknown): value is EventType {
  return typeof value === 'string' && (EVENT_TYPE_LIST as string[]).includes(value);
}
