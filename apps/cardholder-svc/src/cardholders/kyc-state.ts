import type { KycStatus } from '@issuing-bridge/contracts';
import { KYC_STATUSES } from '@issuing-bridge/contracts';
import type { CloudEventLike } from '@issuing-bridge/messaging';
import type { EntityManager } from 'typeorm';
import { kycStatusChanged, type KycStatusSource } from './cardholder-events';
import { Cardholder, FINAL_KYC_STATUSES } from './cardholder.entity';
import { kycMetrics } from './kyc-metrics';

export interface PollSchedule {
  initialMs: number;
  maxMs: number;
}

/**
 * Delay before the next poll after `attempts` unchanged polls: doubling from `initialMs`, capped at
 * `maxMs`, with ±20 % jitter so many cardholders created together do not poll in lockstep.
 */
export function nextPollDelayMs(attempts: number, schedule: PollSchedule, random: () => number = Math.random): number {
  const base = Math.min(schedule.maxMs, schedule.initialMs * 2 ** Math.min(attempts, 30));
  return Math.max(1, Math.round(base * (0.8 + 0.4 * random())));
}

export const isFinalKyc = (status: KycStatus): boolean => FINAL_KYC_STATUSES.includes(status);

/** The provider sends free strings; anything outside the documented set is refused rather than stored. */
export function toKycStatus(value: unknown): KycStatus {
  if (typeof value === 'string' && (KYC_STATUSES as readonly string[]).includes(value)) return value as KycStatus;
  throw new Error(`status: provider answered an unknown KYC status`);
}

export interface Observation {
  cardholderUniqueNo: string;
  cardholderNo: string;
  status: KycStatus;
  failReason: string | null;
  source: KycStatusSource;
  causationid?: string;
  correlationid?: string;
}

/**
 * Stores what the provider reported, inside the caller's transaction, and returns the
 * `kyc_status_changed` event when (and only when) the status differs from the stored one. The row is
 * locked first, so a command and a poll of one cardholder never both see the old status.
 * After a change the poll schedule restarts; a final status stops it.
 */
export async function recordObservation(
  tx: EntityManager,
  seen: Observation,
  schedule: PollSchedule,
  now: Date = new Date(),
): Promise<{ row: Cardholder; events: CloudEventLike[] }> {
  const repo = tx.getRepository(Cardholder);
  const stored = await repo.findOne({
    where: { cardholderUniqueNo: seen.cardholderUniqueNo },
    lock: { mode: 'pessimistic_write' },
  });
  const before = stored?.kycStatus ?? null;
  const storedFailReason = stored?.failReason ?? null;
  const changed = before !== seen.status;
  const nextPollAt = isFinalKyc(seen.status) ? null : new Date(now.getTime() + nextPollDelayMs(0, schedule));
  const row: Cardholder = Object.assign(stored ?? new Cardholder(), {
    cardholderUniqueNo: seen.cardholderUniqueNo,
    cardholderNo: seen.cardholderNo,
    kycStatus: seen.status,
    failReason: seen.status === 'Rejected' ? (seen.failReason ?? storedFailReason) : null,
    updatedAt: now,
    version: (stored?.version ?? 0) + 1,
    // A command re-submits KYC: follow it again from the start, whoever held the old lease.
    ...((changed || seen.source === 'command') && { nextPollAt, pollAttempts: 0, pollLeaseUntil: null, pollLeaseOwner: null }),
  });
  if (!stored) row.createdAt = now;
  if (!changed && isFinalKyc(seen.status)) row.nextPollAt = null;
  await repo.save(row);
  if (!changed) return { row, events: [] };
  kycMetrics.statusChanges.inc({ after: seen.status, source: seen.source });
  return {
    row,
    events: [
      kycStatusChanged({
        cardholderUniqueNo: seen.cardholderUniqueNo,
        cardholderNo: seen.cardholderNo,
        before,
        after: seen.status,
        failReason: row.failReason,
        source: seen.source,
        time: now,
        causationid: seen.causationid,
        correlationid: seen.correlationid,
      }),
    ],
  };
}
