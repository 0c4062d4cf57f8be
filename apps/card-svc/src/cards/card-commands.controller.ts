import { Controller, Inject, Logger, UseFilters } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import {
  COMMAND_TYPES,
  EVENT_TYPES,
  SealedSecretError,
  createEvent,
  openSealed,
  type CardActivateCommand,
  type CardApplyCommand,
  type CardPinSetCommand,
  type CardStatusUpdateCommand,
  type CardStatus,
} from '@issuing-bridge/contracts';
import { KeySecureClient, isValidCvv, isWeakPin, type CardRow } from '@issuing-bridge/keysecure';
import { CommandContext, CommandErrorsFilter, type Publishable } from '@issuing-bridge/messaging';
import { InjectAppConfig } from '@issuing-bridge/platform';
import type { CardSvcConfig } from '../config/config.schema';
import { daysAgo, formatListTime } from '../reconciliation/list-window';
import { engineFailureEvent, failureCodeOf, failureEvent, isFinalProviderError, type CardCommand } from './card-failures';
import { CARD_PRIVATE_KEY } from './card-keys';
import { CARD_SOURCE, findCard, lockCard, recordStatus, statusChangedMessage, type CardRecord } from './card-status';

const STATUS_OF_ACTION = { freeze: 'Frozen', unfreeze: 'Activated', cancel: 'Delete' } as const;
/** Which stored statuses each target status may be reached from (KeySecure status update rules). */
const ALLOWED_FROM: Record<string, readonly string[]> = {
  Frozen: ['Activated'],
  Activated: ['Frozen'],
  Delete: ['ToActivate', 'Activated', 'Frozen'],
};

/** Handlers of `card.commands.v1`. Each calls the provider first, then commits state + events once. */
@Controller()
@UseFilters(CommandErrorsFilter)
export class CardCommandsController {
  private readonly log = new Logger('CardCommands');

  constructor(
    private readonly ks: KeySecureClient,
    @InjectDataSource() private readonly ds: DataSource,
    @InjectAppConfig() private readonly config: CardSvcConfig,
    @Inject(CARD_PRIVATE_KEY) private readonly privateKeyPem: string,
  ) {}

  private get eventsTopic(): string {
    return this.config.CARD_EVENTS_TOPIC;
  }

  private fail(ctx: CommandContext, command: CardCommand, code: number | string, msg: string, cardNo: string | null = null) {
    this.log.warn(`${command.type} ${command.id} failed: [${code}] ${msg}`);
    return ctx.complete(async () => [failureEvent(command, code, msg, cardNo)]);
  }

  @EventPattern(COMMAND_TYPES.cardApply, { failureEventFor: engineFailureEvent })
  async apply(@Payload() command: CardApplyCommand, @Ctx() ctx: CommandContext): Promise<void> {
    const d = command.data;
    const known = await findCard(this.ds.manager, d.card_unique_no);
    if (known) {
      // Stored already (e.g. found by reconciliation after a crash): the apply is done.
      await ctx.complete(async () => [this.appliedEvent(command, known)]);
      return;
    }
    let cardNo: string;
    try {
      ({ card_no: cardNo } = await this.ks.applyCard({
        cardholder_no: d.cardholder_no,
        card_unique_no: d.card_unique_no,
        card_type: d.card_type,
        ...('package_no' in d && d.package_no ? { package_no: d.package_no } : {}),
        ...('card_bin_no' in d && d.card_bin_no ? { card_bin_no: d.card_bin_no } : {}),
        ...(d.address_info && { address_info: d.address_info }),
      }));
    } catch (error) {
      if (!isFinalProviderError(error)) throw error;
      // The "already exists" code is undocumented: whatever the refusal, look the card up by its
      // unique number; a redelivered apply whose first attempt reached the provider finds it here.
      const found = await this.providerCardByUniqueNo(d.card_unique_no);
      if (!found || found.cardholder_no !== d.cardholder_no) {
        await this.fail(ctx, command, failureCodeOf(error), error.msg);
        return;
      }
      this.log.log(`card.apply ${command.id}: card ${found.card_no} already exists at the provider; completing`);
      cardNo = found.card_no;
    }
    const observedAt = new Date();
    const detail = await this.ks.getCard(cardNo);
    await ctx.complete(async (tx) => {
      const inserted: CardRecord[] = await tx.query(
        `INSERT INTO "card".cards (card_unique_no, card_no, cardholder_no, card_type, card_last_no, organization,
                                   status, status_time, next_poll_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, CASE WHEN $7 = 'Pending' THEN now() + make_interval(secs => $9::double precision / 1000) END)
         ON CONFLICT (card_unique_no) DO NOTHING
         RETURNING card_unique_no, card_no, cardholder_no, card_type, card_last_no, organization, status, status_time, provider`,
        [
          d.card_unique_no,
          detail.card_no,
          detail.cardholder_no,
          detail.card_type,
          detail.card_last_no ?? null,
          detail.organization ?? null,
          detail.status,
          observedAt,
          this.config.CARD_ISSUANCE_BACKOFF_START_MS,
        ],
      );
      const row = inserted[0] ?? (await lockCard(tx, { card_unique_no: d.card_unique_no }))!;
      const events: Publishable[] = [this.appliedEvent(command, row)];
      if (inserted[0]) {
        events.push(
          statusChangedMessage(this.eventsTopic, { card_unique_no: row.card_unique_no, card_no: detail.card_no }, null, {
            status: detail.status,
            time: observedAt,
            source: 'command',
            causationid: command.id,
            correlationid: command.correlationid,
          }),
        );
      }
      return events;
    });
  }

  private appliedEvent(command: CardApplyCommand, card: CardRecord) {
    return createEvent({
      type: EVENT_TYPES.cardApplied,
      source: CARD_SOURCE,
      subject: card.card_unique_no,
      causationid: command.id,
      ...(command.correlationid && { correlationid: command.correlationid }),
      data: {
        card_unique_no: card.card_unique_no,
        card_no: card.card_no!,
        cardholder_no: card.cardholder_no,
        card_type: card.card_type as 'Virtual' | 'Physical',
        status: card.status as CardStatus,
      },
    });
  }

  /** The provider's card with this merchant-side number, searched over the last 90 days. */
  private async providerCardByUniqueNo(cardUniqueNo: string): Promise<CardRow | undefined> {
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

  @EventPattern(COMMAND_TYPES.cardActivate, { failureEventFor: engineFailureEvent })
  async activate(@Payload() command: CardActivateCommand, @Ctx() ctx: CommandContext): Promise<void> {
    const d = command.data;
    const card = await findCard(this.ds.manager, d.card_unique_no);
    if (!card) return this.fail(ctx, command, 'unknown_card', 'card_unique_no is not a card of this service');
    if (card.status !== 'ToActivate') {
      return this.fail(ctx, command, 'invalid_transition', `card status is ${card.status}; only ToActivate cards can be activated`, card.card_no);
    }
    let cvv: string;
    try {
      cvv = await openSealed(d.cvv_jwe, this.privateKeyPem);
    } catch (error) {
      if (error instanceof SealedSecretError) return this.fail(ctx, command, error.code, error.message, card.card_no);
      throw error;
    }
    if (!isValidCvv(cvv)) {
      cvv = '';
      return this.fail(ctx, command, 'invalid_cvv', 'cvv_jwe must seal exactly 3 digits', card.card_no);
    }
    try {
      await this.ks.activateCard({ cardholder_no: card.cardholder_no, card_no: card.card_no!, cvv, card_last_no: d.card_last_no });
    } catch (error) {
      if (!isFinalProviderError(error)) throw error;
      if (!(ctx.attempt > 1 && (await this.providerStatusIs(card.card_no!, 'Activated')))) {
        return this.fail(ctx, command, failureCodeOf(error), error.msg, card.card_no);
      }
    } finally {
      cvv = ''; // drop the plaintext as soon as the client has encrypted it
    }
    await this.completeStatusCommand(ctx, command, 'Activated', () =>
      createEvent({
        type: EVENT_TYPES.cardActivated,
        source: CARD_SOURCE,
        subject: card.card_unique_no,
        causationid: command.id,
        ...(command.correlationid && { correlationid: command.correlationid }),
        data: { card_unique_no: card.card_unique_no, card_no: card.card_no! },
      }),
    );
  }

  @EventPattern(COMMAND_TYPES.cardStatusUpdate, { failureEventFor: engineFailureEvent })
  async updateStatus(@Payload() command: CardStatusUpdateCommand, @Ctx() ctx: CommandContext): Promise<void> {
    const d = command.data;
    const target = STATUS_OF_ACTION[d.action];
    const card = await findCard(this.ds.manager, d.card_unique_no);
    if (!card) return this.fail(ctx, command, 'unknown_card', 'card_unique_no is not a card of this service');
    if (!ALLOWED_FROM[target]!.includes(card.status)) {
      return this.fail(ctx, command, 'invalid_transition', `${d.action}: card status ${card.status} cannot change to ${target}`, card.card_no);
    }
    try {
      await this.ks.updateCardStatus({ card_no: card.card_no!, status: target });
    } catch (error) {
      if (!isFinalProviderError(error)) throw error;
      if (!(ctx.attempt > 1 && (await this.providerStatusIs(card.card_no!, target)))) {
        return this.fail(ctx, command, failureCodeOf(error), error.msg, card.card_no);
      }
    }
    await this.completeStatusCommand(ctx, command, target, () =>
      createEvent({
        type: EVENT_TYPES.cardStatusUpdated,
        source: CARD_SOURCE,
        subject: card.card_unique_no,
        causationid: command.id,
        ...(command.correlationid && { correlationid: command.correlationid }),
        data: { card_unique_no: card.card_unique_no, card_no: card.card_no!, action: d.action, status: target },
      }),
    );
  }

  @EventPattern(COMMAND_TYPES.cardPinSet, { failureEventFor: engineFailureEvent })
  async setPin(@Payload() command: CardPinSetCommand, @Ctx() ctx: CommandContext): Promise<void> {
    const d = command.data;
    const card = await findCard(this.ds.manager, d.card_unique_no);
    if (!card) return this.fail(ctx, command, 'unknown_card', 'card_unique_no is not a card of this service');
    if (card.card_type !== 'Physical') return this.fail(ctx, command, 'card_not_physical', 'a PIN can only be set on Physical cards', card.card_no);
    if (card.status !== 'Activated') {
      return this.fail(ctx, command, 'card_not_activated', `card status is ${card.status}; a PIN needs an Activated card`, card.card_no);
    }
    let pin: string;
    try {
      pin = await openSealed(d.pin_jwe, this.privateKeyPem);
    } catch (error) {
      if (error instanceof SealedSecretError) return this.fail(ctx, command, error.code, error.message, card.card_no);
      throw error;
    }
    if (!/^\d{6}$/.test(pin)) {
      pin = '';
      return this.fail(ctx, command, 'invalid_pin', 'pin_jwe must seal exactly 6 digits', card.card_no);
    }
    if (isWeakPin(pin)) {
      pin = '';
      return this.fail(ctx, command, 'weak_pin', 'pin must not contain 3 identical or sequential digits in a row', card.card_no);
    }
    try {
      await this.ks.setCardPin({ card_no: card.card_no!, cardholder_no: card.cardholder_no, pin });
    } catch (error) {
      if (!isFinalProviderError(error)) throw error;
      return this.fail(ctx, command, failureCodeOf(error), error.msg, card.card_no);
    } finally {
      pin = '';
    }
    await ctx.complete(async () => [
      createEvent({
        type: EVENT_TYPES.cardPinSetSucceeded,
        source: CARD_SOURCE,
        subject: card.card_unique_no,
        causationid: command.id,
        ...(command.correlationid && { correlationid: command.correlationid }),
        data: { card_unique_no: card.card_unique_no, card_no: card.card_no! },
      }),
    ]);
  }

  /** A retried command whose first call succeeded but whose commit did not: the provider already shows the result. */
  private async providerStatusIs(cardNo: string, status: string): Promise<boolean> {
    try {
      return (await this.ks.getCard(cardNo)).status === status;
    } catch {
      return false;
    }
  }

  private completeStatusCommand(
    ctx: CommandContext,
    command: CardActivateCommand | CardStatusUpdateCommand,
    status: string,
    result: () => ReturnType<typeof createEvent>,
  ): Promise<void> {
    const at = new Date();
    return ctx.complete(async (tx) => {
      const locked = (await lockCard(tx, { card_unique_no: command.data.card_unique_no }))!;
      const changed = await recordStatus(tx, this.eventsTopic, locked, {
        status,
        time: at,
        source: 'command',
        causationid: command.id,
        correlationid: command.correlationid,
      });
      return [result(), ...changed];
    });
  }
}
