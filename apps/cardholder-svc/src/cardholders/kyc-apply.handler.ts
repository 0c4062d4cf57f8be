import { Controller, Inject, UseFilters } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { InjectDataSource } from '@nestjs/typeorm';
import { COMMAND_TYPES, type CardholderKycApplyCommand, type KycStatus } from '@issuing-bridge/contracts';
import { KeySecureApiError, KeySecureClient, KeySecureError } from '@issuing-bridge/keysecure';
import { CommandErrorsFilter, type CommandContext, type FailureEventBuilder } from '@issuing-bridge/messaging';
import { InjectAppConfig } from '@issuing-bridge/platform';
import type { DataSource } from 'typeorm';
import type { CardholderSvcConfig } from '../config/config.schema';
import { kycApplied, kycApplyFailed, operationOf } from './cardholder-events';
import { Cardholder } from './cardholder.entity';
import { recordObservation, toKycStatus, type PollSchedule } from './kyc-state';
import { findCardholderByUniqueNo } from './provider-lookup';

/** The engine gave up (transient faults past the deadline, or an unexpected error): tell the caller. */
export const kycApplyFailureEvent: FailureEventBuilder = (command, reason) =>
  kycApplyFailed(
    command as CardholderKycApplyCommand,
    reason,
    reason === 'provider_unavailable'
      ? 'KeySecure stayed unavailable until the command deadline'
      : 'the command could not be processed',
  );

/** Transient: the provider said the number exists but its list does not show it (yet). */
class CardholderNotListedYet extends Error {
  readonly retryable = true;
  constructor() {
    super('cardholder_unique_no: provider reports it exists but the cardholder list does not show it yet');
  }
}

/**
 * `cardholder.kyc.apply.v1`: create a cardholder (no cardholder_no) or re-submit KYC (with it).
 * Provider first, then ONE transaction: cardholder row + inbox + result and status events.
 */
@Controller()
@UseFilters(CommandErrorsFilter) // the engine must see the real error (and its `retryable`), not Nest's RPC shape
export class KycApplyHandler {
  private readonly schedule: PollSchedule;

  constructor(
    @Inject(KeySecureClient) private readonly keysecure: KeySecureClient,
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectAppConfig() private readonly config: CardholderSvcConfig,
  ) {
    this.schedule = { initialMs: config.KYC_POLL_INITIAL_MS, maxMs: config.KYC_POLL_MAX_MS };
  }

  @EventPattern(COMMAND_TYPES.cardholderKycApply, { failureEventFor: kycApplyFailureEvent })
  async apply(@Payload() command: CardholderKycApplyCommand, @Ctx() ctx: CommandContext): Promise<void> {
    const { cardholder_unique_no: uniqueNo, cardholder_no: requestedNo, sumsub_share_token } = command.data;
    const operation = operationOf(command);
    // Provider retries stop at the command's deadline so the engine can still record the failure.
    const callOptions = { deadlineMs: Math.max(1, ctx.deadline.getTime() - Date.now()) };

    if (operation === 'update') {
      const stored = await this.dataSource.getRepository(Cardholder).findOneBy({ cardholderUniqueNo: uniqueNo });
      if (!stored || stored.cardholderNo !== requestedNo) {
        const failure = stored
          ? kycApplyFailed(command, 'cardholder_mismatch', 'cardholder_no: does not belong to the stored cardholder_unique_no')
          : kycApplyFailed(command, 'unknown_cardholder', 'cardholder_unique_no: no cardholder with this number is known');
        await ctx.complete(async () => [failure]);
        return;
      }
    }

    let cardholderNo: string;
    let status: KycStatus = 'Pending';
    let failReason: string | null = null;
    try {
      const applied = await this.keysecure.applyCardholder(
        { cardholder_unique_no: uniqueNo, sumsub_share_token, ...(requestedNo !== undefined && { cardholder_no: requestedNo }) },
        callOptions,
      );
      cardholderNo = applied.cardholder_no;
      this.crashHookForTests(uniqueNo);
    } catch (error) {
      if (operation === 'create' && this.isAlreadyExists(error)) {
        // A redelivery after a crash (or a repeated create): the provider kept the first one; adopt it.
        const found = await findCardholderByUniqueNo(this.keysecure, uniqueNo, callOptions);
        if (!found) throw new CardholderNotListedYet();
        cardholderNo = found.cardholder_no;
        status = toKycStatus(found.status);
        failReason = found.fail_reason ?? null;
      } else if (error instanceof KeySecureError && !error.retryable) {
        const code = typeof error.code === 'number' ? error.code : 'provider_rejected';
        await ctx.complete(async () => [kycApplyFailed(command, code, error.msg)]);
        return;
      } else {
        throw error; // transient: the engine retries with backoff until the deadline
      }
    }

    await ctx.complete(async (tx) => {
      const { events } = await recordObservation(
        tx,
        {
          cardholderUniqueNo: uniqueNo,
          cardholderNo,
          status,
          failReason,
          source: 'command',
          causationid: command.id,
          correlationid: command.correlationid,
        },
        this.schedule,
      );
      return [kycApplied(command, cardholderNo, status), ...events];
    });
  }

  private isAlreadyExists(error: unknown): boolean {
    return (
      error instanceof KeySecureApiError &&
      typeof error.code === 'number' &&
      this.config.KEYSECURE_CARDHOLDER_EXISTS_CODES.includes(error.code)
    );
  }

  /** Lets the crash-recovery test stop the process exactly between the provider call and the commit. */
  private crashHookForTests(uniqueNo: string): void {
    if (this.config.NODE_ENV !== 'production' && this.config.CARDHOLDER_TEST_CRASH_AFTER_PROVIDER_CALL === uniqueNo) {
      process.kill(process.pid, 'SIGKILL');
    }
  }
}
