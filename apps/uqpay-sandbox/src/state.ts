/** In-memory state of the UQPAY sandbox. PINs are never stored (only whether one was set). */
export const CARD_STATUSES = [
  'PENDING',
  'ACTIVE',
  'FROZEN',
  'BLOCKED',
  'PRE_CANCEL',
  'CANCELLED',
  'FAILED',
] as const;
export type CardStatus = (typeof CARD_STATUSES)[number];

export interface CardRecord {
  card_id: string;
  card_number: string;
  form_factor: 'PHYSICAL' | 'VIRTUAL';
  mode_type: 'SINGLE' | 'SHARE';
  card_currency: 'USD' | 'SGD';
  card_status: CardStatus;
  cardholder_id: string;
  /** Sub-account owning the card; undefined = master account. */
  account_id?: string;
  activation_code: string;
  pin_set: boolean;
  no_pin_payment_amount: number;
  update_reason?: string;
  create_time: string;
  update_time: string;
}

export interface WebhookRecord {
  event_id: string;
  event_type: string;
  card_id: string;
  /** The event's status: card_status, or activation_status for activation events. */
  status: string;
  attempts: number;
  delivered: boolean;
  lastError: string | null;
}

export interface RequestRecord {
  endpoint: string;
  idempotencyKey?: string;
  /** 0 when the answer was withheld or the connection dropped by a fault */
  status: number;
  replay?: boolean;
}

export interface IdempotencyEntry {
  fingerprint: string;
  storedAt: number;
  /** undefined while the first request is still being processed */
  response?: { status: number; body: unknown };
}

export class SandboxState {
  cards = new Map<string, CardRecord>();
  /** token → expiry (Unix ms) */
  tokens = new Map<string, number>();
  idempotency = new Map<string, IdempotencyEntry>();
  activations: Record<string, number> = {};
  calls: Record<string, number> = {};
  webhooks: WebhookRecord[] = [];
  /** Last 1000 API requests: endpoint, idempotency key sent, HTTP status answered (0 = no answer). */
  requests: RequestRecord[] = [];
  tokensIssued = 0;

  logRequest(record: RequestRecord): void {
    this.requests.push(record);
    if (this.requests.length > 1000) this.requests.shift();
  }

  reset(): void {
    this.cards.clear();
    this.tokens.clear();
    this.idempotency.clear();
    this.activations = {};
    this.calls = {};
    this.webhooks = [];
    this.requests = [];
    this.tokensIssued = 0;
  }

  snapshot(): SandboxSnapshot {
    return {
      cards: [...this.cards.values()].map(({ activation_code: _code, ...card }) => ({ ...card })),
      activations: { ...this.activations },
      calls: { ...this.calls },
      webhooks: this.webhooks.map((w) => ({ ...w })),
      requests: this.requests.map((r) => ({ ...r })),
      tokensIssued: this.tokensIssued,
      idempotencyKeys: this.idempotency.size,
    };
  }
}

export interface SandboxSnapshot {
  /** Cards without their activation codes. */
  cards: Array<Omit<CardRecord, 'activation_code'>>;
  /** Successful activations per card_id (an idempotent replay does not count). */
  activations: Record<string, number>;
  /** Calls per endpoint name, faulted ones included. */
  calls: Record<string, number>;
  webhooks: WebhookRecord[];
  requests: RequestRecord[];
  tokensIssued: number;
  idempotencyKeys: number;
}
