import { Controller, Inject, Logger, UseFilters } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
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
import { CommandContext, CommandErrorsFilter, type OutboxMessage, type Publishable } from '@issuing-bridge/messaging';
import { InjectAppConfig } from '@issuing-bridge/platform';
import type { CardSvcConfig } from '../config/config.schema';
import { CardProviders, type CardProvider, type CardRegistration, type ProviderCall, type Refusal, isRefusal } from '../providers/card-provider';
import { KeySecureCardProvider } from '../providers/keysecure-card-provider';
import { engineFailureEvent, failureEvent, type CardCommand } from './card-failures';
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
    private readonly providers: CardProviders,
    private readonly keysecure: KeySecureCardProvider,
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
      ({ card_no: cardNo } = await this.keysecure.applyCard({
        cardholder_no: d.cardholder_no,
        card_unique_no: d.card_unique_no,
        card_type: d.card_type,
        ...('package_no' in d && d.package_no ? { package_no: d.package_no } : {}),
        ...('card_bin_no' in d && d.card_bin_no ? { card_bin_no: d.card_bin_no } : {}),
        ...(d.address_info && { address_info: d.address_info }),
      }));
    } catch (error) {
      const refusal = this.keysecure.finalFailure(error);
      if (!refusal) throw error;
      // The "already exists" code is undocumented: whatever the refusal, look the card up by its
      // unique number; a redelivered apply whose first attempt reached the provider finds it here.
      const found = await this.keysecure.cardByUniqueNo(d.card_unique_no);
      if (!found || found.cardholder_no !== d.cardholder_no) {
        await this.fail(ctx, command, refusal.code, refusal.msg);
        return;
      }
      this.log.log(`card.apply ${command.id}: card ${found.card_no} already exists at the provider; completing`);
      cardNo = found.card_no;
    }
    const observedAt = new Date();
    const detail = await this.keysecure.cardDetail(cardNo);
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

  @EventPattern(COMMAND_TYPES.cardActivate, { failureEventFor: engineFailureEvent })
  async activate(@Payload() command: CardActivateCommand, @Ctx() ctx: CommandContext): Promise<void> {
    const d = command.data;
    const stored = await findCard(this.ds.manager, d.card_unique_no);
    // The command names its provider (absent = keysecure); a stored card must belong to it.
    const providerName = d.provider ?? 'keysecure';
    if (stored && stored.provider !== providerName) {
      return this.fail(ctx, command, 'provider_mismatch', `provider: card_unique_no is a ${stored.provider} card`, stored.card_no);
    }
    const provider = this.providers.get(providerName);
    if (!provider) return this.fail(ctx, command, 'unsupported_by_provider', `provider: ${providerName} is not configured`);
    let card: CardRecord | undefined = stored;
    let registration: CardRegistration | undefined;
    if (!card) {
      // A card created outside the bridge (UQPAY) is stored on its first activate.
      if (!provider.register) return this.fail(ctx, command, 'unknown_card', 'card_unique_no is not a card of this service');
      const registered = await this.withFinalFailure(provider, () => provider.register!(d));
      if (isRefusal(registered)) return this.fail(ctx, command, registered.code, registered.msg);
      const owner = await this.ds.query(`SELECT card_unique_no FROM "card".cards WHERE provider = $1 AND card_no = $2`, [provider.name, registered.card_no]);
      if (owner.length > 0) return this.fail(ctx, command, 'card_mismatch', 'card_id: is stored under another card_unique_no', registered.card_no);
      registration = registered;
      card = { ...registered, status_time: new Date(0) };
    }
    // A first-seen card the provider already shows Activated may be this very command's earlier
    // attempt (answer lost, nothing committed): the call, under the same idempotency key, decides.
    const maybeOurs = registration !== undefined && card.status === 'Activated';
    if (!provider.activatableFrom.includes(card.status) && !maybeOurs) {
      return this.fail(ctx, command, 'invalid_transition', `card status is ${card.status}; only ${provider.activatableFrom.join('/')} cards can be activated`, card.card_no);
    }
    const refusal = await this.callProvider(ctx, provider, card, 'Activated', () => provider.activate(card, d, this.call(command)));
    if (refusal) return this.fail(ctx, command, refusal.code, refusal.msg, card.card_no);
    const activated = card;
    await this.completeStatusCommand(ctx, command, 'Activated', () =>
      createEvent({
        type: EVENT_TYPES.cardActivated,
        source: CARD_SOURCE,
        subject: activated.card_unique_no,
        causationid: command.id,
        ...(command.correlationid && { correlationid: command.correlationid }),
        data: { card_unique_no: activated.card_unique_no, card_no: activated.card_no! },
      }),
      registration,
      provider.name,
    );
  }

  @EventPattern(COMMAND_TYPES.cardStatusUpdate, { failureEventFor: engineFailureEvent })
  async updateStatus(@Payload() command: CardStatusUpdateCommand, @Ctx() ctx: CommandContext): Promise<void> {
    const d = command.data;
    const target = STATUS_OF_ACTION[d.action];
    const card = await findCard(this.ds.manager, d.card_unique_no);
    if (!card) return this.fail(ctx, command, 'unknown_card', 'card_unique_no is not a card of this service');
    const provider = this.providers.get(card.provider);
    if (!provider?.updateStatus) {
      return this.fail(ctx, command, 'unsupported_by_provider', `${d.action}: not supported for ${card.provider} cards yet`, card.card_no);
    }
    if (!ALLOWED_FROM[target]!.includes(card.status)) {
      return this.fail(ctx, command, 'invalid_transition', `${d.action}: card status ${card.status} cannot change to ${target}`, card.card_no);
    }
    const refusal = await this.callProvider(ctx, provider, card, target, async () => {
      await provider.updateStatus!(card, target, this.call(command));
      return undefined;
    });
    if (refusal) return this.fail(ctx, command, refusal.code, refusal.msg, card.card_no);
    await this.completeStatusCommand(ctx, command, target, () =>
      createEvent({
        type: EVENT_TYPES.cardStatusUpdated,
        source: CARD_SOURCE,
        subject: card.card_unique_no,
        causationid: command.id,
        ...(command.correlationid && { correlationid: command.correlationid }),
        data: { card_unique_no: card.card_unique_no, card_no: card.card_no!, action: d.action, status: target },
      }),
      undefined,
      provider.name,
    );
  }

  @EventPattern(COMMAND_TYPES.cardPinSet, { failureEventFor: engineFailureEvent })
  async setPin(@Payload() command: CardPinSetCommand, @Ctx() ctx: CommandContext): Promise<void> {
    const d = command.data;
    const card = await findCard(this.ds.manager, d.card_unique_no);
    if (!card) return this.fail(ctx, command, 'unknown_card', 'card_unique_no is not a card of this service');
    const provider = this.providers.get(card.provider);
    if (!provider?.setPin) {
      return this.fail(ctx, command, 'unsupported_by_provider', `pin: ${card.provider} cards get their PIN at activation`, card.card_no);
    }
    if (card.card_type !== 'Physical') return this.fail(ctx, command, 'card_not_physical', 'a PIN can only be set on Physical cards', card.card_no);
    if (card.status !== 'Activated') {
      return this.fail(ctx, command, 'card_not_activated', `card status is ${card.status}; a PIN needs an Activated card`, card.card_no);
    }
    let refusal: Refusal | undefined;
    try {
      refusal = await provider.setPin(card, d.pin_jwe, this.call(command));
    } catch (error) {
      refusal = provider.finalFailure(error);
      if (!refusal) throw error;
    }
    if (refusal) return this.fail(ctx, command, refusal.code, refusal.msg, card.card_no);
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

  /** What an adapter gets for one command: the command id (idempotency) and the key that opens sealed secrets. */
  private call(command: CardCommand): ProviderCall {
    return {
      operationId: command.id,
      openSealed: async (jwe) => {
        try {
          return await openSealed(jwe, this.privateKeyPem);
        } catch (error) {
          if (error instanceof SealedSecretError) return { code: error.code, msg: error.message };
          throw error;
        }
      },
    };
  }

  /** Runs a provider look-up; a final provider refusal becomes a Refusal, anything else is rethrown (retried). */
  private async withFinalFailure<T>(provider: CardProvider, fn: () => Promise<T | Refusal>): Promise<T | Refusal> {
    try {
      return await fn();
    } catch (error) {
      const refusal = provider.finalFailure(error);
      if (!refusal) throw error;
      return refusal;
    }
  }

  /**
   * A state-changing provider call. A final refusal on a retried command is checked against the
   * provider first: a call that succeeded before a failed commit is not reported as failed.
   */
  private async callProvider(
    ctx: CommandContext,
    provider: CardProvider,
    card: CardRecord,
    target: CardStatus,
    fn: () => Promise<Refusal | undefined>,
  ): Promise<Refusal | undefined> {
    try {
      return await fn();
    } catch (error) {
      const refusal = provider.finalFailure(error);
      if (!refusal) throw error;
      if (ctx.attempt > 1 && (await provider.currentStatus(card)) === target) return undefined;
      return refusal;
    }
  }

  private completeStatusCommand(
    ctx: CommandContext,
    command: CardActivateCommand | CardStatusUpdateCommand,
    status: string,
    result: () => ReturnType<typeof createEvent>,
    registration?: CardRegistration,
    provider = 'keysecure',
  ): Promise<void> {
    const at = new Date();
    return ctx.complete(async (tx) => {
      const events: Publishable[] = [result()];
      if (registration) events.push(...(await this.register(tx, registration, command as CardActivateCommand, new Date(at.getTime() - 1))));
      const locked = (await lockCard(tx, { card_unique_no: command.data.card_unique_no, provider }))!;
      const changed = await recordStatus(tx, this.eventsTopic, locked, {
        status,
        time: at,
        source: 'command',
        causationid: command.id,
        correlationid: command.correlationid,
      });
      return [...events, ...changed];
    });
  }

  /** Stores a card first seen in an activate command, with the status the provider reported before the call. */
  private async register(
    tx: EntityManager,
    card: CardRegistration,
    command: CardActivateCommand,
    observedAt: Date, // just before the command's own status time, so the activation is newer
  ): Promise<OutboxMessage[]> {
    const inserted: CardRecord[] = await tx.query(
      `INSERT INTO "card".cards (card_unique_no, card_no, cardholder_no, card_type, card_last_no, organization, status, status_time, provider)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (card_unique_no) DO NOTHING
       RETURNING card_unique_no`,
      [card.card_unique_no, card.card_no, card.cardholder_no, card.card_type, card.card_last_no, card.organization, card.status, observedAt, card.provider],
    );
    if (inserted.length === 0) return [];
    return [
      statusChangedMessage(this.eventsTopic, { card_unique_no: card.card_unique_no, card_no: card.card_no! }, null, {
        status: card.status,
        time: observedAt,
        source: 'command',
        causationid: command.id,
        correlationid: command.correlationid,
      }),
    ];
  }
}
