import { Injectable } from '@nestjs/common';
import type { CardStatus } from '@issuing-bridge/contracts';
import { UqpayClient, UqpayError, toBridgeCardStatus } from '@issuing-bridge/uqpay';
import type { CardRecord } from '../cards/card-status';
import {
  isRefusal,
  type ActivateData,
  type CardProvider,
  type CardRegistration,
  type ProviderCall,
  type Refusal,
} from './card-provider';

const SNAKE_CODE = /^[a-z][a-z0-9_]{0,63}$/;

/**
 * UQPAY behind the provider port: activation (PIN set at activation), card look-up and status.
 * Cards are created at UQPAY outside the bridge; card-svc stores one on its first activate
 * (card_unique_no ↔ card_id, card_no = card_id, provider uqpay).
 */
@Injectable()
export class UqpayCardProvider implements CardProvider {
  readonly name = 'uqpay' as const;
  // PENDING at UQPAY is ToActivate for a physical card, Pending when the form factor was unknown.
  readonly activatableFrom = ['ToActivate', 'Pending'] as const;

  constructor(private readonly uqpay: UqpayClient) {}

  finalFailure(error: unknown): Refusal | undefined {
    if (!(error instanceof UqpayError) || error.retryable) return undefined;
    // UQPAY codes are snake_case words (card_not_found …); anything else (legacy numbers) is generic.
    return { code: SNAKE_CODE.test(error.code) ? error.code : 'provider_rejected', msg: error.message };
  }

  async currentStatus(card: CardRecord): Promise<CardStatus | undefined> {
    try {
      const remote = await this.uqpay.getCard(card.card_no!);
      return toBridgeCardStatus(remote.card_status, remote.form_factor);
    } catch {
      return undefined;
    }
  }

  async register(data: ActivateData): Promise<CardRegistration | Refusal> {
    if (data.provider !== 'uqpay') return { code: 'unknown_card', msg: 'card_unique_no is not a card of this service' };
    const remote = await this.uqpay.getCard(data.card_id);
    const status = toBridgeCardStatus(remote.card_status, remote.form_factor);
    if (!status) return { code: 'unknown_provider_status', msg: 'card_id: UQPAY reports a card status the bridge does not know' };
    const holder = remote.cardholder_id ?? (remote.cardholder as { cardholder_id?: unknown } | undefined)?.cardholder_id;
    return {
      card_unique_no: data.card_unique_no,
      card_no: data.card_id,
      cardholder_no: typeof holder === 'string' ? holder : '',
      card_type: String(remote.form_factor).toUpperCase() === 'PHYSICAL' ? 'Physical' : 'Virtual',
      card_last_no: typeof remote.card_number === 'string' ? remote.card_number.slice(-4) : null,
      organization: null,
      status,
      provider: 'uqpay',
    };
  }

  async activate(card: CardRecord, data: ActivateData, call: ProviderCall): Promise<Refusal | undefined> {
    if (data.provider !== 'uqpay') {
      return { code: 'provider_mismatch', msg: 'provider: the card is a uqpay card; send card_id, activation_code and pin_jwe' };
    }
    if (data.card_id !== card.card_no) return { code: 'card_mismatch', msg: 'card_id: is not the UQPAY card stored for card_unique_no' };
    if (card.card_type !== 'Physical') return { code: 'card_not_physical', msg: 'only physical cards are activated' };
    let pin = await call.openSealed(data.pin_jwe);
    if (isRefusal(pin)) return pin;
    if (!/^\d{6}$/.test(pin)) {
      pin = '';
      return { code: 'invalid_pin', msg: 'pin_jwe must seal exactly 6 digits' };
    }
    try {
      // operationId = command id → the same x-idempotency-key on every retry and redelivery.
      await this.uqpay.activateCard(
        {
          card_id: data.card_id,
          activation_code: data.activation_code,
          pin,
          ...(data.no_pin_payment_amount !== undefined && { no_pin_payment_amount: data.no_pin_payment_amount }),
        },
        { operationId: call.operationId },
      );
    } finally {
      pin = '';
    }
    return undefined;
  }
}
