export type CardholderStatus = 'Pending' | 'In_progress' | 'Approved' | 'Rejected';
export const CARDHOLDER_STATUSES: readonly CardholderStatus[] = [
  'Pending',
  'In_progress',
  'Approved',
  'Rejected',
];
export type CardStatus = 'Pending' | 'ToActivate' | 'Activated' | 'Fail' | 'Frozen' | 'Delete';
export const CARD_STATUSES: readonly CardStatus[] = [
  'Pending',
  'ToActivate',
  'Activated',
  'Fail',
  'Frozen',
  'Delete',
];
export type CardType = 'Virtual' | 'Physical';

export interface AddressInfo {
  first_name?: string;
  last_name?: string;
  phone_code?: string;
  phone?: string;
  postal_code?: string;
  country?: string;
  state?: string;
  city?: string;
  address_line1?: string;
  address_line2?: string;
}

export interface CardholderRecord {
  cardholder_no: string;
  cardholder_unique_no: string;
  email: string;
  status: CardholderStatus;
  fail_reason: string | null;
  time: number;
  /** The sandbox keeps only whether the share token asks for rejection, not the token itself. */
  kycOutcome: 'Approved' | 'Rejected';
}

export interface CardRecord {
  card_no: string;
  card_unique_no: string;
  cardholder_no: string;
  card_type: CardType;
  card_last_no: string;
  organization: string;
  status: CardStatus;
  time: number;
  package_no: string | null;
  card_bin_no: string | null;
  address_info: AddressInfo | null;
  /** Only whether a PIN was set; the PIN itself is never kept. */
  pin_set: boolean;
}

export interface CallbackRecord {
  id: string;
  action: 'Card_update';
  data: {
    card_no: string;
    before_status: CardStatus;
    after_status: CardStatus;
    reason: string;
    time: number;
  };
  attempts: number;
  delivered: boolean;
  lastError: string | null;
  deliveredAt: number | null;
}

export const feeDetail = {
  consume_rate: '0.015',
  open_cost: '5.00',
  cross_consume_rate: '0.01',
  small_consume_threshold: '1.00',
  small_consume_deduct: '0.10',
  free_small_consume_count: 3,
  free_small_excuse_type: 'Day',
  free_small_excuse_days: 30,
  refund_rate: '0.00',
  consume_cancle_fee: '0.00',
  consume_cancel_threshold: '0.00',
  decline_fee: '0.50',
  decline_fee_free_count: 3,
  decline_fee_free_type: 'Day',
  decline_fee_free_days: 30,
  atm_rate: '0.02',
  atm_min_fee: '2.00',
  apple_pay_fee: '0.00',
  manage_fee_type: 'None',
  manage_fee: '0.00',
  management_fee_free_type: 'Forever',
  free_management_fee_threshold: '0.00',
};

const limits = {
  limit_balance: '10000.00',
  limit_week_balance: '5000.00',
  limit_atm_day_balance: '1000.00',
  limit_atm_month_balance: '3000.00',
};

export interface CardPackage {
  package_no: string;
  package_en_name: string;
  package_cn_name: string;
  card_bin: string;
  card_bin_no: string;
  organization: string;
  package_type: CardType;
  en_desc: string;
  cn_desc: string;
  en_tag_list: string[];
  cn_tag_list: string[];
  consumption_limit: typeof limits;
  fee_detail: typeof feeDetail;
}

export interface CardBin {
  card_bin_no: string;
  card_bin: string;
  organization: string;
  support_physical: boolean;
  support_virtual: boolean;
  currencies: string[];
  balance_limit: typeof limits;
}

/** Seeded catalogue: one package per card type (credit mode) and BINs covering both types (authorization mode). */
export const SEED_PACKAGES: readonly CardPackage[] = [
  {
    package_no: 'PKG_VIRTUAL_001',
    package_en_name: 'Sandbox Virtual Visa',
    package_cn_name: '沙箱虚拟卡',
    card_bin: '489607',
    card_bin_no: 'BIN_VISA_001',
    organization: 'Visa',
    package_type: 'Virtual',
    en_desc: 'Virtual card for online payments',
    cn_desc: '用于在线支付的虚拟卡',
    en_tag_list: ['Online'],
    cn_tag_list: ['线上'],
    consumption_limit: limits,
    fee_detail: feeDetail,
  },
  {
    package_no: 'PKG_PHYSICAL_001',
    package_en_name: 'Sandbox Physical Mastercard',
    package_cn_name: '沙箱实体卡',
    card_bin: '531993',
    card_bin_no: 'BIN_MC_001',
    organization: 'Mastercard',
    package_type: 'Physical',
    en_desc: 'Physical card with ATM access',
    cn_desc: '可在ATM取现的实体卡',
    en_tag_list: ['ATM', 'Apple Pay'],
    cn_tag_list: ['ATM', 'Apple Pay'],
    consumption_limit: limits,
    fee_detail: feeDetail,
  },
];

export const SEED_BINS: readonly CardBin[] = [
  {
    card_bin_no: 'BIN_VISA_001',
    card_bin: '489607',
    organization: 'Visa',
    support_physical: false,
    support_virtual: true,
    currencies: ['USD'],
    balance_limit: limits,
  },
  {
    card_bin_no: 'BIN_MC_001',
    card_bin: '531993',
    organization: 'Mastercard',
    support_physical: true,
    support_virtual: true,
    currencies: ['USD'],
    balance_limit: limits,
  },
];

/** Value that stands in for a secret header (Api-Key, Access-Token, Authorization) in recorded headers. */
export const REDACTED_HEADER = '[REDACTED]';
const SECRET_HEADERS = new Set(['api-key', 'access-token', 'authorization']);

/**
 * The headers of the last request to one endpoint. Secret values are replaced by REDACTED_HEADER (the
 * sandbox exposes state over HTTP, so it must not echo tokens either); the flags keep what tests check.
 */
export interface RecordedHeaders {
  /** Every received header, lower-case names; secret ones masked. */
  headers: Record<string, string>;
  apiKeyPresent: boolean;
  accessTokenPresent: boolean;
  /** Access-Token is documented as the raw token; a `Bearer ` prefix is a client bug. */
  accessTokenHasBearerPrefix: boolean;
}

export function recordHeaders(raw: Record<string, string | string[] | undefined>): RecordedHeaders {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    headers[lower] = SECRET_HEADERS.has(lower) ? REDACTED_HEADER : Array.isArray(value) ? value.join(', ') : value;
  }
  const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
  const token = first(raw['access-token']);
  return {
    headers,
    apiKeyPresent: Boolean(first(raw['api-key'])),
    accessTokenPresent: Boolean(token),
    accessTokenHasBearerPrefix: token !== undefined && /^bearer\s/i.test(token),
  };
}

/** Everything the sandbox knows; tests may read it directly (RunningSandbox.state) or via GET /__admin/state. */
export class SandboxState {
  readonly cardholders = new Map<string, CardholderRecord>();
  readonly cards = new Map<string, CardRecord>();
  readonly packages: CardPackage[] = SEED_PACKAGES.map((p) => ({ ...p }));
  readonly bins: CardBin[] = SEED_BINS.map((b) => ({ ...b }));
  /** access token → expiry (Unix ms) */
  readonly tokens = new Map<string, number>();
  /** calls per endpoint name (e.g. `token`, `card.apply`), counted before faults and auth */
  readonly calls: Record<string, number> = {};
  readonly callbacks: CallbackRecord[] = [];
  /** headers of the last request per endpoint name, secrets masked (recordHeaders) */
  readonly lastHeaders: Record<string, RecordedHeaders> = {};
  sequence = 0;

  reset(): void {
    this.cardholders.clear();
    this.cards.clear();
    this.cardholderUniqueIndex.clear();
    this.cardUniqueIndex.clear();
    this.tokens.clear();
    for (const key of Object.keys(this.calls)) delete this.calls[key];
    for (const key of Object.keys(this.lastHeaders)) delete this.lastHeaders[key];
    this.callbacks.length = 0;
  }

  // Merchant-side numbers are immutable, so these indexes keep apply O(1) under benchmark volumes.
  private readonly cardholderUniqueIndex = new Map<string, CardholderRecord>();
  private readonly cardUniqueIndex = new Map<string, CardRecord>();

  addCardholder(record: CardholderRecord): void {
    this.cardholders.set(record.cardholder_no, record);
    this.cardholderUniqueIndex.set(record.cardholder_unique_no, record);
  }

  addCard(record: CardRecord): void {
    this.cards.set(record.card_no, record);
    this.cardUniqueIndex.set(record.card_unique_no, record);
  }

  cardholderByUniqueNo(uniqueNo: string): CardholderRecord | undefined {
    return this.cardholderUniqueIndex.get(uniqueNo);
  }

  cardByUniqueNo(uniqueNo: string): CardRecord | undefined {
    return this.cardUniqueIndex.get(uniqueNo);
  }

  /** JSON-safe view for GET /__admin/state. */
  snapshot(): SandboxSnapshot {
    return {
      cardholders: [...this.cardholders.values()].map(({ kycOutcome: _k, ...rest }) => rest),
      cards: [...this.cards.values()],
      calls: { ...this.calls },
      lastHeaders: Object.fromEntries(
        Object.entries(this.lastHeaders).map(([k, v]) => [k, { ...v, headers: { ...v.headers } }]),
      ),
      callbacks: this.callbacks.map((c) => ({ ...c })),
      activeTokens: this.tokens.size,
    };
  }
}

export interface SandboxSnapshot {
  cardholders: Array<Omit<CardholderRecord, 'kycOutcome'>>;
  cards: CardRecord[];
  calls: Record<string, number>;
  lastHeaders: Record<string, RecordedHeaders>;
  callbacks: CallbackRecord[];
  activeTokens: number;
}
