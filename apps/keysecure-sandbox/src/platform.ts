import { randomInt } from 'node:crypto';
import { aesDecrypt } from './crypto';
import { invalidParameter, ProviderError, ResultCode } from './errors';
import type { CallbackDispatcher } from './callbacks';
import {
  CARD_STATUSES,
  type AddressInfo,
  type CardholderRecord,
  type CardholderStatus,
  type CardRecord,
  type CardStatus,
  type CardType,
  type SandboxState,
} from './state';
import { paginate, parseListWindow, parsePage, parseTimezone } from './time-window';

export interface PlatformSettings {
  apiSecret: string;
  clock: () => number;
  kycStepDelayMs: number;
  cardIssueDelayMs: number;
}

type Body = Record<string, unknown>;

/** A share token containing this (any case) makes KYC end Rejected. */
export const KYC_REJECT_TRIGGER = 'reject';
/** A card_unique_no containing this (any case) makes issuance end in Fail. */
export const CARD_FAIL_TRIGGER = 'fail';

function optionalString(body: Body, field: string): string | undefined {
  const v = body[field];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw invalidParameter(field, 'must be a string');
  return v;
}

function requiredString(body: Body, field: string, maxLength?: number): string {
  const v = optionalString(body, field);
  if (v === undefined) throw invalidParameter(field, 'is required');
  if (maxLength !== undefined && v.length > maxLength) {
    throw invalidParameter(field, `must be at most ${maxLength} characters`);
  }
  return v;
}

const PRINTABLE_ASCII = /^[\x20-\x7E]*$/;

/** The business side of the Open Platform: cardholders, KYC, cards and their state machine. */
export class IssuingPlatform {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly kycTimers = new Map<string, NodeJS.Timeout[]>();

  constructor(
    private readonly state: SandboxState,
    private readonly settings: PlatformSettings,
    private readonly callbacks: CallbackDispatcher,
  ) {}

  cancelTimers(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.kycTimers.clear();
  }

  private later(delayMs: number, fn: () => void): NodeJS.Timeout {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, delayMs);
    this.timers.add(t);
    return t;
  }

  private nextNo(prefix: string): string {
    this.state.sequence += 1;
    const d = new Date(this.settings.clock() + 8 * 3600_000); // numbers carry the UTC+8 date, like the examples
    const ymd = d.toISOString().slice(0, 10).replace(/-/g, '');
    return `${prefix}${ymd}${String(this.state.sequence).padStart(4, '0')}`;
  }

  // ---- cardholders ----

  applyCardholder(body: Body): { cardholder_no: string; cardholder_unique_no: string } {
    const uniqueNo = requiredString(body, 'cardholder_unique_no', 64);
    const shareToken = requiredString(body, 'sumsub_share_token');
    const cardholderNo = optionalString(body, 'cardholder_no');
    const outcome = shareToken.toLowerCase().includes(KYC_REJECT_TRIGGER) ? 'Rejected' : 'Approved';
    let record: CardholderRecord;
    if (cardholderNo !== undefined) {
      const existing = this.state.cardholders.get(cardholderNo);
      if (!existing)
        throw new ProviderError(
          ResultCode.CardholderNotFound,
          `cardholder_no ${cardholderNo} not found`,
        );
      if (existing.cardholder_unique_no !== uniqueNo) {
        throw new ProviderError(
          ResultCode.CardholderUniqueNoMismatch,
          'cardholder_unique_no does not match the record of cardholder_no',
        );
      }
      if (existing.status === 'Approved') {
        throw new ProviderError(
          ResultCode.CardholderAlreadyApproved,
          'cardholder_no is already Approved',
        );
      }
      record = existing;
      record.status = 'Pending';
      record.fail_reason = null;
      record.kycOutcome = outcome;
    } else {
      if (this.state.cardholderByUniqueNo(uniqueNo)) {
        throw new ProviderError(
          ResultCode.CardholderUniqueNoExists,
          'cardholder_unique_no already exists',
        );
      }
      const no = this.nextNo('U');
      record = {
        cardholder_no: no,
        cardholder_unique_no: uniqueNo,
        email: `${no.toLowerCase()}@sandbox.keysecure.test`,
        status: 'Pending',
        fail_reason: null,
        time: this.settings.clock(),
        kycOutcome: outcome,
      };
      this.state.addCardholder(record);
    }
    this.scheduleKyc(record);
    return {
      cardholder_no: record.cardholder_no,
      cardholder_unique_no: record.cardholder_unique_no,
    };
  }

  private scheduleKyc(record: CardholderRecord): void {
    this.cancelKyc(record.cardholder_no);
    const step = this.settings.kycStepDelayMs;
    // The second step is armed by the first: two timers of different durations may fire out of order
    // when the event loop was blocked past both, and a decision before In_progress left the cardholder
    // In_progress for good (seen once in a 10,000-command fault run).
    const first = this.later(step, () => {
      if (record.status === 'Pending') record.status = 'In_progress';
      const second = this.later(step, () => {
        if (record.status !== 'In_progress') return;
        this.kycTimers.delete(record.cardholder_no);
        record.status = record.kycOutcome;
        record.fail_reason =
          record.kycOutcome === 'Rejected'
            ? 'Identity document could not be verified (sandbox: share token contains "reject")'
            : null;
      });
      this.kycTimers.set(record.cardholder_no, [second]);
    });
    this.kycTimers.set(record.cardholder_no, [first]);
  }

  private cancelKyc(cardholderNo: string): void {
    for (const t of this.kycTimers.get(cardholderNo) ?? []) {
      clearTimeout(t);
      this.timers.delete(t);
    }
    this.kycTimers.delete(cardholderNo);
  }

  /** Admin: force a KYC status; stops the automatic progression. */
  forceKyc(cardholderNo: string, status: CardholderStatus, failReason?: string): CardholderRecord {
    const record = this.state.cardholders.get(cardholderNo);
    if (!record)
      throw new ProviderError(
        ResultCode.CardholderNotFound,
        `cardholder_no ${cardholderNo} not found`,
      );
    this.cancelKyc(cardholderNo);
    record.status = status;
    record.fail_reason =
      status === 'Rejected' ? (failReason ?? 'Rejected by sandbox operator') : null;
    return record;
  }

  listCardholders(body: Body, timezone: string | undefined): { list: unknown[] } {
    const window = parseListWindow(body.start_time, body.end_time, parseTimezone(timezone));
    const page = parsePage(body);
    const no = optionalString(body, 'cardholder_no');
    const uniqueNo = optionalString(body, 'cardholder_unique_no');
    const rows = [...this.state.cardholders.values()]
      .filter(
        (c) =>
          (no === undefined || c.cardholder_no === no) &&
          (uniqueNo === undefined || c.cardholder_unique_no === uniqueNo),
      )
      .filter((c) => c.time >= window.from && c.time < window.to)
      .map((c) => ({
        cardholder_no: c.cardholder_no,
        cardholder_unique_no: c.cardholder_unique_no,
        email: c.email,
        fail_reason: c.fail_reason,
        status: c.status,
        time: c.time,
      }));
    return { list: paginate(rows, page) };
  }

  cardholderInfo(cardholderNo: string): Record<string, unknown> {
    const c = this.state.cardholders.get(cardholderNo);
    if (!c)
      throw new ProviderError(
        ResultCode.CardholderNotFound,
        `cardholder_no ${cardholderNo} not found`,
      );
    const cards = [...this.state.cards.values()].filter(
      (card) => card.cardholder_no === cardholderNo && !['Pending', 'Fail'].includes(card.status),
    );
    return {
      cardholder_no: c.cardholder_no,
      cardholder_unique_no: c.cardholder_unique_no,
      email: c.email,
      status: c.status,
      total_balance: '0.00',
      time: c.time,
      card_list: cards.map((card) => this.cardRow(card)),
    };
  }

  // ---- cards ----

  applyCard(body: Body): { card_no: string; card_unique_no: string } {
    const cardholderNo = requiredString(body, 'cardholder_no');
    const uniqueNo = requiredString(body, 'card_unique_no', 64);
    const cardType = requiredString(body, 'card_type');
    if (cardType !== 'Virtual' && cardType !== 'Physical')
      throw invalidParameter('card_type', 'must be Virtual or Physical');
    const packageNo = optionalString(body, 'package_no');
    const binNo = optionalString(body, 'card_bin_no');
    if (packageNo === undefined && binNo === undefined) {
      throw invalidParameter('package_no', 'or card_bin_no is required (both are empty)');
    }
    let organization: string;
    if (packageNo !== undefined) {
      const pkg = this.state.packages.find((p) => p.package_no === packageNo);
      if (!pkg) throw invalidParameter('package_no', 'does not exist');
      if (pkg.package_type !== cardType)
        throw invalidParameter('card_type', `does not match package_no (${pkg.package_type})`);
      organization = pkg.organization;
    } else {
      const b = this.state.bins.find((x) => x.card_bin_no === binNo);
      if (!b) throw invalidParameter('card_bin_no', 'does not exist');
      if (cardType === 'Physical' ? !b.support_physical : !b.support_virtual) {
        throw invalidParameter('card_type', `is not supported by card_bin_no ${b.card_bin_no}`);
      }
      organization = b.organization;
    }
    const address = this.validateAddress(body.address_info, cardType);
    if (!this.state.cardholders.has(cardholderNo)) {
      throw new ProviderError(
        ResultCode.CardholderNotFound,
        `cardholder_no ${cardholderNo} not found`,
      );
    }
    if (this.state.cardByUniqueNo(uniqueNo)) {
      throw new ProviderError(ResultCode.CardUniqueNoExists, 'card_unique_no already exists');
    }
    const card: CardRecord = {
      card_no: this.nextNo('C'),
      card_unique_no: uniqueNo,
      cardholder_no: cardholderNo,
      card_type: cardType,
      card_last_no: String(randomInt(0, 10_000)).padStart(4, '0'),
      organization,
      status: 'Pending',
      time: this.settings.clock(),
      package_no: packageNo ?? null,
      card_bin_no: packageNo === undefined ? (binNo ?? null) : null,
      address_info: address,
      pin_set: false,
    };
    this.state.addCard(card);
    this.later(this.settings.cardIssueDelayMs, () => this.finishIssuance(card));
    return { card_no: card.card_no, card_unique_no: card.card_unique_no };
  }

  private finishIssuance(card: CardRecord): void {
    if (card.status !== 'Pending') return; // changed by an admin call meanwhile
    const holder = this.state.cardholders.get(card.cardholder_no);
    if (card.card_unique_no.toLowerCase().includes(CARD_FAIL_TRIGGER)) {
      this.changeCardStatus(
        card,
        'Fail',
        'Card application failed (sandbox: card_unique_no contains "fail")',
      );
    } else if (holder?.status !== 'Approved') {
      this.changeCardStatus(
        card,
        'Fail',
        `Cardholder KYC status is ${holder?.status ?? 'unknown'}, not Approved`,
      );
    } else {
      this.changeCardStatus(
        card,
        card.card_type === 'Physical' ? 'ToActivate' : 'Activated',
        'Card issued',
      );
    }
  }

  private validateAddress(raw: unknown, cardType: CardType): AddressInfo | null {
    if (raw === undefined || raw === null) {
      if (cardType === 'Physical')
        throw invalidParameter('address_info', 'is required for Physical cards');
      return null;
    }
    if (typeof raw !== 'object' || Array.isArray(raw))
      throw invalidParameter('address_info', 'must be an object');
    const a = raw as Body;
    const required =
      cardType === 'Physical'
        ? [
            'first_name',
            'last_name',
            'phone_code',
            'phone',
            'postal_code',
            'country',
            'state',
            'city',
            'address_line1',
          ]
        : ['postal_code', 'country', 'state', 'city', 'address_line1'];
    const out: AddressInfo = {};
    for (const field of [
      ...required,
      'address_line2',
      'first_name',
      'last_name',
      'phone_code',
      'phone',
    ]) {
      const v = a[field];
      if (v === undefined || v === null || v === '') {
        if (required.includes(field))
          throw invalidParameter(`address_info.${field}`, `is required for ${cardType} cards`);
        continue;
      }
      if (typeof v !== 'string')
        throw invalidParameter(`address_info.${field}`, 'must be a string');
      if (!PRINTABLE_ASCII.test(v))
        throw invalidParameter(`address_info.${field}`, 'must be written in English');
      (out as Record<string, string>)[field] = v;
    }
    if (out.phone_code !== undefined && !/^\d{1,4}$/.test(out.phone_code)) {
      throw invalidParameter('address_info.phone_code', 'must be 1-4 digits without +');
    }
    if (out.phone !== undefined && !/^\d{4,20}$/.test(out.phone)) {
      throw invalidParameter('address_info.phone', 'must be 4-20 digits');
    }
    if (!/^[A-Z]{2}$/.test(out.country as string)) {
      throw invalidParameter(
        'address_info.country',
        'must be an ISO 3166-1 alpha-2 code such as CN',
      );
    }
    return out;
  }

  private cardRow(c: CardRecord): Record<string, unknown> {
    return {
      card_no: c.card_no,
      card_unique_no: c.card_unique_no,
      cardholder_no: c.cardholder_no,
      card_type: c.card_type,
      card_last_no: c.card_last_no,
      organization: c.organization,
      status: c.status,
      time: c.time,
    };
  }

  listCards(body: Body, timezone: string | undefined): { list: unknown[] } {
    const window = parseListWindow(body.start_time, body.end_time, parseTimezone(timezone));
    const page = parsePage(body);
    const cardholderNo = optionalString(body, 'cardholder_no');
    const uniqueNo = optionalString(body, 'card_unique_no');
    const cardNo = optionalString(body, 'card_no');
    const rows = [...this.state.cards.values()]
      .filter(
        (c) =>
          (cardholderNo === undefined || c.cardholder_no === cardholderNo) &&
          (uniqueNo === undefined || c.card_unique_no === uniqueNo) &&
          (cardNo === undefined || c.card_no === cardNo),
      )
      .filter((c) => c.time >= window.from && c.time < window.to)
      .map((c) => this.cardRow(c));
    return { list: paginate(rows, page) };
  }

  private card(cardNo: string): CardRecord {
    const c = this.state.cards.get(cardNo);
    if (!c) throw new ProviderError(ResultCode.CardNotFound, `card_no ${cardNo} not found`);
    return c;
  }

  cardDetail(cardNo: string): Record<string, unknown> {
    const c = this.card(cardNo);
    const pkg = this.state.packages.find((p) => p.package_no === c.package_no);
    const fee = pkg?.fee_detail ?? this.state.packages[0].fee_detail;
    const name = [c.address_info?.first_name, c.address_info?.last_name].filter(Boolean).join(' ');
    return {
      ...this.cardRow(c),
      card_name: name,
      package_name_en: pkg?.package_en_name ?? '',
      package_name_cn: pkg?.package_cn_name ?? '',
      fee_detail: { ...fee },
    };
  }

  activateCard(body: Body): { result: true } {
    const cardholderNo = requiredString(body, 'cardholder_no');
    const cardNo = requiredString(body, 'card_no');
    const cvv = requiredString(body, 'cvv');
    const lastNo = requiredString(body, 'card_last_no');
    if (!/^\d{4}$/.test(lastNo)) throw invalidParameter('card_last_no', 'must be 4 digits');
    const plain = aesDecrypt(cvv, this.settings.apiSecret);
    if (plain === undefined || !/^\d{3}$/.test(plain)) {
      throw new ProviderError(
        ResultCode.CvvInvalid,
        'cvv must be the AES/ECB/PKCS5Padding Base64 ciphertext of 3 digits',
      );
    }
    const card = this.card(cardNo);
    if (card.cardholder_no !== cardholderNo) {
      throw new ProviderError(
        ResultCode.CardNotOwnedByCardholder,
        'card_no does not belong to cardholder_no',
      );
    }
    if (card.status !== 'ToActivate') {
      throw new ProviderError(
        ResultCode.CardStatusTransitionNotAllowed,
        `card status is ${card.status}; only ToActivate cards can be activated`,
      );
    }
    if (card.card_last_no !== lastNo) {
      throw new ProviderError(
        ResultCode.CardLastNoMismatch,
        'card_last_no does not match the card',
      );
    }
    this.changeCardStatus(card, 'Activated', 'Card activated');
    return { result: true };
  }

  updateCardStatus(body: Body): { result: boolean } {
    const cardNo = requiredString(body, 'card_no');
    const status = requiredString(body, 'status');
    if (status !== 'Activated' && status !== 'Frozen' && status !== 'Delete') {
      throw invalidParameter('status', 'must be one of Activated, Frozen, Delete');
    }
    const card = this.card(cardNo);
    if (card.status === status) return { result: true }; // repeating a request changes nothing
    const allowedFrom: Record<string, CardStatus[]> = {
      Frozen: ['Activated'],
      Activated: ['Frozen'],
      Delete: ['ToActivate', 'Activated', 'Frozen'],
    };
    if (!allowedFrom[status].includes(card.status)) {
      if (status === 'Frozen') {
        throw new ProviderError(
          ResultCode.CardNotActivated,
          `card status is ${card.status}; only Activated cards can be frozen`,
        );
      }
      throw new ProviderError(
        ResultCode.CardStatusTransitionNotAllowed,
        `card status ${card.status} cannot change to ${status}`,
      );
    }
    const reason = { Frozen: 'Card frozen', Activated: 'Card unfrozen', Delete: 'Card cancelled' }[
      status
    ];
    this.changeCardStatus(card, status, reason);
    return { result: true };
  }

  setPin(body: Body): { result: boolean } {
    const cardNo = requiredString(body, 'card_no');
    const cardholderNo = requiredString(body, 'cardholder_no');
    const pin = requiredString(body, 'pin');
    const card = this.card(cardNo);
    if (card.cardholder_no !== cardholderNo) {
      throw new ProviderError(
        ResultCode.CardNotOwnedByCardholder,
        'card_no does not belong to cardholder_no',
      );
    }
    if (card.card_type === 'Virtual') {
      throw new ProviderError(
        ResultCode.PinNotSupportedForVirtualCard,
        'pin can only be set on Physical cards',
      );
    }
    if (card.status !== 'Activated') {
      throw new ProviderError(
        ResultCode.CardNotActivated,
        `card status is ${card.status}, not Activated`,
      );
    }
    const plain = aesDecrypt(pin, this.settings.apiSecret);
    if (plain === undefined || !isStrongPin(plain)) {
      throw new ProviderError(
        ResultCode.PinInvalid,
        'pin must decrypt to 6 digits without 3 identical or sequential digits in a row',
      );
    }
    card.pin_set = true;
    return { result: true };
  }

  /** Admin: change a card's status behind the client's back. */
  forceCardStatus(
    cardNo: string,
    status: CardStatus,
    reason: string,
    emitCallback: boolean,
  ): CardRecord {
    if (!CARD_STATUSES.includes(status))
      throw invalidParameter('status', `must be one of ${CARD_STATUSES.join(', ')}`);
    const card = this.card(cardNo);
    if (card.status !== status) this.changeCardStatus(card, status, reason, emitCallback);
    return card;
  }

  private changeCardStatus(
    card: CardRecord,
    after: CardStatus,
    reason: string,
    emitCallback = true,
  ): void {
    const before = card.status;
    card.status = after;
    if (emitCallback) this.callbacks.cardUpdated(card.card_no, before, after, reason);
  }
}

/** 6 digits with no run of 3 identical (111) or sequential (123, 321) digits. */
export function isStrongPin(pin: string): boolean {
  if (!/^\d{6}$/.test(pin)) return false;
  const d = [...pin].map(Number);
  for (let i = 0; i + 2 < d.length; i++) {
    const [a, b, c] = [d[i], d[i + 1], d[i + 2]];
    if (a === b && b === c) return false;
    if (b - a === 1 && c - b === 1) return false;
    if (a - b === 1 && b - c === 1) return false;
  }
  return true;
}
