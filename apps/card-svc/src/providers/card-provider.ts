import type { CardActivateCommand, CardProviderName, CardStatus } from '@issuing-bridge/contracts';
import type { CardRecord } from '../cards/card-status';

/** A failure-event code: the provider's number or our snake_case reason. */
export type FailureCode = number | string;

/** A refusal decided before or instead of a provider call: becomes the command's failure event. */
export interface Refusal {
  code: FailureCode;
  msg: string;
}

/** What a handler hands an adapter for one provider call. */
export interface ProviderCall {
  /** The command id: adapters derive idempotency keys from it, so a redelivery acts once. */
  operationId: string;
  /** Opens a sealed CVV / PIN with card-svc's private key; a refusal when it cannot be opened. */
  openSealed(jwe: string): Promise<string | Refusal>;
}

/** The card row a first activate stores for a card this service has never seen. */
export type CardRegistration = Omit<CardRecord, 'status_time'>;

export type ActivateData = CardActivateCommand['data'];

/**
 * One card-issuing provider behind card-svc's handlers. Handlers only see this port: adding a
 * provider means one adapter plus its registration in `CardProviders`. Optional methods are
 * capabilities; a command needing a missing one is refused with `unsupported_by_provider`.
 * Provider errors are thrown; `finalFailure` tells a final refusal (failure event) from a transient
 * fault (rethrown, the engine retries the command with the same id).
 */
export interface CardProvider {
  readonly name: CardProviderName;
  /** Stored statuses an activation may start from. */
  readonly activatableFrom: readonly string[];
  /** The final refusal an error stands for, or undefined when retrying may help (or it is not a provider error). */
  finalFailure(error: unknown): Refusal | undefined;
  /** The card's status at the provider, in bridge terms; undefined when unknown or unreachable. */
  currentStatus(card: CardRecord): Promise<CardStatus | undefined>;
  /** Activates a physical card; a Refusal for local rule failures (unreadable / malformed secret). */
  activate(card: CardRecord, data: ActivateData, call: ProviderCall): Promise<Refusal | undefined>;
  /** Looks up a card named by an activate command that is not stored yet (UQPAY: card_id). */
  register?(data: ActivateData): Promise<CardRegistration | Refusal>;
  /** Changes the status (freeze → Frozen, unfreeze → Activated, cancel → Delete). */
  updateStatus?(card: CardRecord, target: CardStatus, call: ProviderCall): Promise<void>;
  /** Sets the PIN of an activated physical card. */
  setPin?(card: CardRecord, pinJwe: string, call: ProviderCall): Promise<Refusal | undefined>;
}

export function isRefusal(value: unknown): value is Refusal {
  return typeof value === 'object' && value !== null && 'code' in value && 'msg' in value && !(value instanceof Error);
}

/** The registered adapters, by provider name. */
export class CardProviders {
  private readonly byName = new Map<string, CardProvider>();

  constructor(providers: readonly CardProvider[]) {
    for (const provider of providers) this.byName.set(provider.name, provider);
  }

  /** The adapter for `name`, or undefined for a provider this service does not know. */
  get(name: string): CardProvider | undefined {
    return this.byName.get(name);
  }
}
