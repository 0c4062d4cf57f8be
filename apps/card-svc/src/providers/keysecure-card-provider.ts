import { Injectable } from '@nestjs/common';
import type { CardStatus } from '@issuing-bridge/contracts';
import {
  KeySecureApiError,
  KeySecureClient,
  KeySecureError,
  KeySecureValidationError,
  isValidCvv,
  isWeakPin,
  type ApplyCardRequest,
  type CardDetail,
  type CardRow,
} from '@issuing-bridge/keysecure';
import { InjectAppConfig } from '@issuing-bridge/platform';
import type { CardRecord } from '../cards/card-status';
import type { CardSvcConfig } from '../config/config.schema';
import { daysAgo, formatListTime } from '../reconciliation/list-window';
import { isRefusal, type ActivateData, type CardProvider, type ProviderCall, type Refusal } from './card-provider';

/** KeySecure behind the provider port: the calls card-svc made before UQPAY, unchanged. */
@Injectable()
export class KeySecureCardProvider implements CardProvider {
  readonly name = 'keysecure' as const;
  readonly activatableFrom = ['ToActivate'] as const;

  constructor(
    private readonly ks: KeySecureClient,
    @InjectAppConfig() private readonly config: CardSvcConfig,
  ) {}

  /** Final = the provider (or the client's own rule check) said no; retrying the same call cannot help. */
  finalFailure(error: unknown): Refusal | undefined {
    if (!(error instanceof KeySecureError) || error.retryable) return undefined;
    const code =
      error instanceof KeySecureApiError && typeof error.code === 'number'
        ? error.code
        : error instanceof KeySecureValidationError
          ? 'invalid_request'
          : 'provider_rejected';
    return { code, msg: error.msg };
  }

  async currentStatus(card: CardRecord): Promise<CardStatus | undefined> {
    try {
      return (await this.ks.getCard(card.card_no!)).status as CardStatus;
    } catch {
      return undefined;
    }
  }

  async activate(card: CardRecord, data: ActivateData, call: ProviderCall): Promise<Refusal | undefined> {
    if (data.provider === 'uqpay') return { code: 'provider_mismatch', msg: 'provider: uqpay data sent for a keysecure card' };
    let cvv = await call.openSealed(data.cvv_jwe);
    if (isRefusal(cvv)) return cvv;
    if (!isValidCvv(cvv)) {
      cvv = '';
      return { code: 'invalid_cvv', msg: 'cvv_jwe must seal exactly 3 digits' };
    }
    try {
      await this.ks.activateCard({ cardholder_no: card.cardholder_no, card_no: card.card_no!, cvv, card_last_no: data.card_last_no });
    } finally {
      cvv = ''; // drop the plaintext as soon as the client has encrypted it
    }
    return undefined;
  }

  async updateStatus(card: CardRecord, target: CardStatus): Promise<void> {
    await this.ks.updateCardStatus({ card_no: card.card_no!, status: target as 'Frozen' | 'Activated' | 'Delete' });
  }

  async setPin(card: CardRecord, pinJwe: string, call: ProviderCall): Promise<Refusal | undefined> {
    let pin = await call.openSealed(pinJwe);
    if (isRefusal(pin)) return pin;
    if (!/^\d{6}$/.test(pin)) {
      pin = '';
      return { code: 'invalid_pin', msg: 'pin_jwe must seal exactly 6 digits' };
    }
    if (isWeakPin(pin)) {
      pin = '';
      return { code: 'weak_pin', msg: 'pin must not contain 3 identical or sequential digits in a row' };
    }
    try {
      await this.ks.setCardPin({ card_no: card.card_no!, cardholder_no: card.cardholder_no, pin });
    } finally {
      pin = '';
    }
    return undefined;
  }

  // --- KeySecure-only: card/apply (UQPAY cards are created outside the bridge) -------------------

  async applyCard(input: ApplyCardRequest): Promise<{ card_no: string }> {
    return this.ks.applyCard(input);
  }

  async cardDetail(cardNo: string): Promise<CardDetail> {
    return this.ks.getCard(cardNo);
  }

  /** The provider's card with this merchant-side number, searched over the last 90 days. */
  async cardByUniqueNo(cardUniqueNo: string): Promise<CardRow | undefined> {
    const now = new Date();
    const tz = this.config.KEYSECURE_TIMEZONE;
    const rows = await this.ks.listCards({
      card_unique_no: cardUniqueNo,
      start_time: formatListTime(daysAgo(now, 89), tz),
      end_time: formatListTime(new Date(now.getTime() + 86_400_000), tz),
      page: 0,
      size: 10,
    });
    return rows.find((r) => r.card_unique_no === cardUniqueNo);
  }
}
