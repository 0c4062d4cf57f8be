/** Wire types of the KeySecure Open Platform, snake_case exactly as documented. */

export const CARD_TYPES = ['Virtual', 'Physical'] as const;
export type KeySecureCardType = (typeof CARD_TYPES)[number];

export const CARD_STATUSES = [
  'Pending',
  'ToActivate',
  'Activated',
  'Fail',
  'Frozen',
  'Delete',
] as const;
export type KeySecureCardStatus = (typeof CARD_STATUSES)[number];

/** The only statuses status/update accepts (constants 8.2). */
export const CARD_STATUS_UPDATE_TARGETS = ['Activated', 'Frozen', 'Delete'] as const;
export type KeySecureCardStatusTarget = (typeof CARD_STATUS_UPDATE_TARGETS)[number];

export const CARDHOLDER_STATUSES = ['Pending', 'In_progress', 'Approved', 'Rejected'] as const;
export type KeySecureCardholderStatus = (typeof CARDHOLDER_STATUSES)[number];

export type KeySecureLanguage = 'en_US' | 'zh_CN';

export interface KeySecureEnvelope<T = unknown> {
  code: number;
  msg: string;
  data?: T;
}

export interface TokenData {
  access_token: string;
  /** Absolute expiry, Unix ms. */
  expired_time: number;
}

export interface ApplyCardholderRequest {
  /** Send only to re-submit KYC of an existing cardholder. */
  cardholder_no?: string;
  cardholder_unique_no: string;
  sumsub_share_token: string;
}
export interface ApplyCardholderResponse {
  cardholder_no: string;
  cardholder_unique_no: string;
}

export interface ListWindow {
  /** yyyy-MM-dd or yyyy-MM-dd HH:mm:ss, day boundaries per the Timezone header. */
  start_time: string;
  end_time: string;
  /** 0-based, default 0. */
  page?: number;
  /** 1..100, default 10. */
  size?: number;
}

export interface ListCardholdersRequest extends ListWindow {
  cardholder_no?: string;
  cardholder_unique_no?: string;
}
export interface CardholderRow {
  cardholder_no: string;
  cardholder_unique_no: string;
  email?: string;
  fail_reason?: string | null;
  status: KeySecureCardholderStatus | string;
  time: number;
}
export interface ListResponse<T> {
  list: T[];
}

export interface CardholderInfo {
  cardholder_no: string;
  cardholder_unique_no: string;
  email?: string;
  status: KeySecureCardholderStatus | string;
  /** USD, decimal string. */
  total_balance?: string;
  time: number;
  /** Item fields are not documented (page cut off). */
  card_list?: Array<Record<string, unknown>>;
  [extra: string]: unknown;
}

export interface AddressInfo {
  first_name?: string;
  last_name?: string;
  /** Digits only, no '+'. */
  phone_code?: string;
  phone?: string;
  postal_code?: string;
  /** ISO 3166-1 alpha-2 in the example ("CN"). */
  country?: string;
  state?: string;
  city?: string;
  address_line1?: string;
  address_line2?: string;
}

export interface ApplyCardRequest {
  cardholder_no: string;
  /** Merchant-side unique number, ≤ 64 characters; the operation's identity across retries. */
  card_unique_no: string;
  card_type: KeySecureCardType;
  /** Credit-extension mode. Exactly one of package_no / card_bin_no. */
  package_no?: string;
  /** Authorization mode. */
  card_bin_no?: string;
  address_info?: AddressInfo;
}
export interface ApplyCardResponse {
  card_no: string;
  card_unique_no: string;
}

export interface ListCardsRequest extends ListWindow {
  cardholder_no?: string;
  card_unique_no?: string;
  card_no?: string;
}
export interface CardRow {
  card_no: string;
  card_unique_no: string;
  cardholder_no: string;
  card_type: KeySecureCardType;
  card_last_no: string;
  organization: string;
  status: KeySecureCardStatus;
  time: number;
}

/** Money values are decimal strings, counts and days numbers; spellings as the provider prints them. */
export type FeeDetail = Record<string, string | number | null>;

export interface CardDetail extends CardRow {
  card_name?: string;
  package_name_en?: string;
  package_name_cn?: string;
  fee_detail?: FeeDetail;
  [extra: string]: unknown;
}

/** Plaintext input of activateCard; the client encrypts `cvv` right before sending. */
export interface ActivateCardInput {
  cardholder_no: string;
  card_no: string;
  /** Plaintext, exactly 3 digits. Never leaves the client unencrypted. */
  cvv: string;
  card_last_no: string;
}

export interface UpdateCardStatusRequest {
  card_no: string;
  status: KeySecureCardStatusTarget;
}

/** Plaintext input of setCardPin; the client encrypts `pin` right before sending. */
export interface SetCardPinInput {
  card_no: string;
  cardholder_no: string;
  /** Plaintext, 6 digits, no run of 3 identical or sequential digits. */
  pin: string;
}

export interface ResultResponse {
  result: boolean;
}

export interface ListPage {
  page?: number;
  size?: number;
}

export interface ListCardPackagesRequest extends ListPage {
  /** Card type filter. */
  type?: KeySecureCardType;
  package_no?: string;
}
export interface ConsumptionLimit {
  limit_balance?: string;
  limit_week_balance?: string;
  limit_atm_day_balance?: string;
  limit_atm_month_balance?: string;
}
export interface CardPackage {
  package_no: string;
  package_en_name?: string;
  package_cn_name?: string;
  card_bin?: string;
  card_bin_no?: string;
  organization?: string;
  package_type?: string;
  en_desc?: string;
  cn_desc?: string;
  en_tag_list?: string[];
  cn_tag_list?: string[];
  consumption_limit?: ConsumptionLimit;
  fee_detail?: FeeDetail;
  [extra: string]: unknown;
}

export interface ListCardBinsRequest extends ListPage {
  card_bin_no?: string;
}
export interface CardBin {
  card_bin_no: string;
  card_bin?: string;
  organization?: string;
  support_physical?: boolean;
  support_virtual?: boolean;
  currencies?: string[];
  balance_limit?: ConsumptionLimit;
  [extra: string]: unknown;
}

/** Decrypted `data` of card private/info. Sensitive: never log it. */
export interface CardPrivateInfo {
  card_no: string;
  card_unique_no: string;
  cvv: string;
  pan: string;
  exp_year: string;
  exp_month: string;
}

/** Per-call overrides. */
export interface KeySecureCallOptions {
  /** Overrides the client's Timezone header (list calls only). */
  timezone?: string;
  language?: KeySecureLanguage;
  /** Overrides the client's overall retry deadline for this call, ms. */
  deadlineMs?: number;
}
