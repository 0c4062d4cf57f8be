/**
 * Documented KeySecure request rules, checked before anything is sent. Each check throws a
 * KeySecureValidationError naming the snake_case field and the rule. The predicates are exported
 * so services can validate commands with the same rules.
 */
import { KeySecureValidationError } from './errors';
import {
  AddressInfo,
  ApplyCardholderRequest,
  ApplyCardRequest,
  ActivateCardInput,
  CARD_STATUS_UPDATE_TARGETS,
  CARD_TYPES,
  ListCardBinsRequest,
  ListCardPackagesRequest,
  ListPage,
  ListWindow,
  SetCardPinInput,
  UpdateCardStatusRequest,
} from './types';

export const MAX_UNIQUE_NO_LENGTH = 64;
export const MAX_LIST_SIZE = 100;
export const MAX_LIST_WINDOW_DAYS = 90;

const DAY_MS = 86_400_000;

export function isDigits(value: string, length?: number): boolean {
  return /^[0-9]+$/.test(value) && (length === undefined || value.length === length);
}

export function isValidPhoneCode(value: string): boolean {
  return isDigits(value);
}

export function isValidCardLastNo(value: string): boolean {
  return isDigits(value, 4);
}

export function isValidCvv(value: string): boolean {
  return isDigits(value, 3);
}

/**
 * True when the PIN contains a run of 3 or more identical (111) or sequential digits, ascending
 * (123) or descending (321). Such PINs get 4016 from the provider.
 */
export function isWeakPin(pin: string): boolean {
  for (let i = 0; i + 2 < pin.length; i++) {
    const a = pin.charCodeAt(i);
    const b = pin.charCodeAt(i + 1);
    const c = pin.charCodeAt(i + 2);
    const step = b - a;
    if ((step === 0 || step === 1 || step === -1) && c - b === step) return true;
  }
  return false;
}

/** 6 digits and not weak. */
export function isValidPin(pin: string): boolean {
  return isDigits(pin, 6) && !isWeakPin(pin);
}

export function isValidUniqueNo(value: string): boolean {
  return value.length > 0 && value.length <= MAX_UNIQUE_NO_LENGTH;
}

const LIST_TIME = /^(\d{4})-(\d{2})-(\d{2})(?: (\d{2}):(\d{2}):(\d{2}))?$/;

/**
 * Parses `yyyy-MM-dd` or `yyyy-MM-dd HH:mm:ss` into a wall-clock ms value (timezone-free: both ends
 * of a window share the Timezone header, so only their difference matters). Undefined if malformed.
 */
export function parseListTime(value: string): number | undefined {
  const m = LIST_TIME.exec(value);
  if (!m) return undefined;
  const [y, mo, d, h = '0', mi = '0', s = '0'] = m.slice(1);
  const ms = Date.UTC(+y, +mo - 1, +d, +h, +mi, +s);
  const back = new Date(ms);
  // Rejects 2026-02-30 and 25:00:00, which Date.UTC would silently roll over.
  if (back.getUTCFullYear() !== +y || back.getUTCMonth() !== +mo - 1 || back.getUTCDate() !== +d)
    return undefined;
  if (+h > 23 || +mi > 59 || +s > 59) return undefined;
  return ms;
}

/** Length of a list window in days (fractional), or undefined if a bound is malformed. */
export function listWindowDays(startTime: string, endTime: string): number | undefined {
  const start = parseListTime(startTime);
  const end = parseListTime(endTime);
  if (start === undefined || end === undefined) return undefined;
  return (end - start) / DAY_MS;
}

// ---- request validators -------------------------------------------------------------------

function fail(field: string, rule: string, endpoint?: string): never {
  throw new KeySecureValidationError(field, rule, endpoint);
}

function requireText(value: unknown, field: string, endpoint?: string): void {
  if (typeof value !== 'string' || value.trim() === '') fail(field, 'is required', endpoint);
}

function optionalText(value: unknown, field: string, endpoint?: string): void {
  if (value !== undefined && typeof value !== 'string') fail(field, 'must be a string', endpoint);
}

export function validatePathParam(value: unknown, field: string, endpoint?: string): void {
  requireText(value, field, endpoint);
}

export function validateApplyCardholder(req: ApplyCardholderRequest, endpoint?: string): void {
  optionalText(req.cardholder_no, 'cardholder_no', endpoint);
  requireText(req.cardholder_unique_no, 'cardholder_unique_no', endpoint);
  requireText(req.sumsub_share_token, 'sumsub_share_token', endpoint);
}

const PHYSICAL_ADDRESS_FIELDS = [
  'first_name',
  'last_name',
  'phone_code',
  'phone',
  'postal_code',
  'country',
  'state',
  'city',
  'address_line1',
] as const;
const VIRTUAL_ADDRESS_FIELDS = [
  'postal_code',
  'country',
  'state',
  'city',
  'address_line1',
] as const;

function validateAddress(address: AddressInfo, physical: boolean, endpoint?: string): void {
  const required = physical ? PHYSICAL_ADDRESS_FIELDS : VIRTUAL_ADDRESS_FIELDS;
  for (const key of required) {
    const value = address[key];
    if (typeof value !== 'string' || value.trim() === '') {
      fail(
        `address_info.${key}`,
        physical
          ? 'is required for Physical cards'
          : 'is required when a Virtual card sends address_info',
        endpoint,
      );
    }
  }
  for (const [key, value] of Object.entries(address)) {
    if (value !== undefined && typeof value !== 'string')
      fail(`address_info.${key}`, 'must be a string', endpoint);
  }
  if (
    address.phone_code !== undefined &&
    address.phone_code !== '' &&
    !isValidPhoneCode(address.phone_code)
  ) {
    fail('address_info.phone_code', "must contain digits only (no '+')", endpoint);
  }
}

export function validateApplyCard(req: ApplyCardRequest, endpoint?: string): void {
  requireText(req.cardholder_no, 'cardholder_no', endpoint);
  requireText(req.card_unique_no, 'card_unique_no', endpoint);
  if (!isValidUniqueNo(req.card_unique_no)) {
    fail('card_unique_no', `must be at most ${MAX_UNIQUE_NO_LENGTH} characters`, endpoint);
  }
  if (!(CARD_TYPES as readonly string[]).includes(req.card_type)) {
    fail('card_type', `must be one of ${CARD_TYPES.join(', ')}`, endpoint);
  }
  const hasPackage = typeof req.package_no === 'string' && req.package_no !== '';
  const hasBin = typeof req.card_bin_no === 'string' && req.card_bin_no !== '';
  if (!hasPackage && !hasBin)
    fail('package_no', 'one of package_no or card_bin_no is required', endpoint);
  if (hasPackage && hasBin)
    fail('package_no', 'send only one of package_no or card_bin_no', endpoint);
  const physical = req.card_type === 'Physical';
  if (req.address_info === undefined || req.address_info === null) {
    if (physical) fail('address_info', 'is required for Physical cards', endpoint);
    return;
  }
  if (typeof req.address_info !== 'object') fail('address_info', 'must be an object', endpoint);
  validateAddress(req.address_info, physical, endpoint);
}

export function validateActivateCard(req: ActivateCardInput, endpoint?: string): void {
  requireText(req.cardholder_no, 'cardholder_no', endpoint);
  requireText(req.card_no, 'card_no', endpoint);
  // The value itself is never echoed: the CVV is sensitive.
  if (typeof req.cvv !== 'string' || !isValidCvv(req.cvv))
    fail('cvv', 'plaintext must be exactly 3 digits', endpoint);
  if (typeof req.card_last_no !== 'string' || !isValidCardLastNo(req.card_last_no)) {
    fail('card_last_no', 'must be exactly 4 digits', endpoint);
  }
}

export function validateSetCardPin(req: SetCardPinInput, endpoint?: string): void {
  requireText(req.card_no, 'card_no', endpoint);
  requireText(req.cardholder_no, 'cardholder_no', endpoint);
  if (typeof req.pin !== 'string' || !isDigits(req.pin, 6))
    fail('pin', 'plaintext must be exactly 6 digits', endpoint);
  if (isWeakPin(req.pin)) {
    fail('pin', 'must not contain a run of 3 identical or sequential digits', endpoint);
  }
}

export function validateUpdateCardStatus(req: UpdateCardStatusRequest, endpoint?: string): void {
  requireText(req.card_no, 'card_no', endpoint);
  if (!(CARD_STATUS_UPDATE_TARGETS as readonly string[]).includes(req.status)) {
    fail('status', `must be one of ${CARD_STATUS_UPDATE_TARGETS.join(', ')}`, endpoint);
  }
}

export function validateListPage(req: ListPage, endpoint?: string): void {
  if (req.page !== undefined && (!Number.isInteger(req.page) || req.page < 0)) {
    fail('page', 'must be an integer from 0', endpoint);
  }
  if (
    req.size !== undefined &&
    (!Number.isInteger(req.size) || req.size < 1 || req.size > MAX_LIST_SIZE)
  ) {
    fail('size', `must be an integer from 1 to ${MAX_LIST_SIZE}`, endpoint);
  }
}

export function validateListWindow(req: ListWindow, endpoint?: string): void {
  requireText(req.start_time, 'start_time', endpoint);
  requireText(req.end_time, 'end_time', endpoint);
  const format = 'must be yyyy-MM-dd or yyyy-MM-dd HH:mm:ss';
  if (parseListTime(req.start_time) === undefined) fail('start_time', format, endpoint);
  if (parseListTime(req.end_time) === undefined) fail('end_time', format, endpoint);
  const days = listWindowDays(req.start_time, req.end_time) as number;
  if (days < 0) fail('end_time', 'must not be before start_time', endpoint);
  if (days > MAX_LIST_WINDOW_DAYS) {
    fail(
      'end_time',
      `window from start_time must be at most ${MAX_LIST_WINDOW_DAYS} days`,
      endpoint,
    );
  }
  validateListPage(req, endpoint);
}

export function validateListCardPackages(req: ListCardPackagesRequest, endpoint?: string): void {
  if (req.type !== undefined && !(CARD_TYPES as readonly string[]).includes(req.type)) {
    fail('type', `must be one of ${CARD_TYPES.join(', ')}`, endpoint);
  }
  optionalText(req.package_no, 'package_no', endpoint);
  validateListPage(req, endpoint);
}

export function validateListCardBins(req: ListCardBinsRequest, endpoint?: string): void {
  optionalText(req.card_bin_no, 'card_bin_no', endpoint);
  validateListPage(req, endpoint);
}
