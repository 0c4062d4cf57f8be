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

const tableNames = new WeakMap<object, string>();
/** `"schema"."cardholders"` of the transaction's DataSource (cached: this is on every command). */
export function cardholderTable(tx: EntityManager): string {
  let name = tableNames.get(tx.connection);
  if (!name) {
    const meta = tx.connection.getMetadata(Cardholder);
    name = meta.schema ? `"${meta.schema}"."${meta.tableName}"` : `"${meta.tableName}"`;
    tableNames.set(tx.connection, name);
  }
  return name;
}

const COLUMNS = `cardholder_unique_no AS "cardholderUniqueNo", cardholder_no AS "cardholderNo", kyc_status AS "kycStatus",
  fail_reason AS "failReason", created_at AS "createdAt", updated_at AS "updatedAt", version, next_poll_at AS "nextPollAt",
  poll_attempts AS "pollAttempts", poll_lease_until AS "pollLeaseUntil", poll_lease_owner AS "pollLeaseOwner"`;

/** The cardholder row locked FOR UPDATE in `tx` (plain SQL: this is the hot path of commands and polls). */
export async function lockCardholder(tx: EntityManager, cardholderUniqueNo: string): Promise<Cardholder | undefined> {
  const rows: Cardholder[] = await tx.query(
    `SELECT ${COLUMNS} FROM ${cardholderTable(tx)} WHERE cardholder_unique_no = $1 FOR UPDATE`,
    [cardholderUniqueNo],
  );
  return rows[0];
}

function rowParams(row: Cardholder): unknown[] {
  return [
    row.cardholderUniqueNo,
    row.cardholderNo,
    row.kycStatus,
    row.failReason,
    row.createdAt,
    row.updatedAt,
    row.version,
    row.nextPollAt,
    row.pollAttempts,
    row.pollLeaseUntil,
    row.pollLeaseOwner,
  ];
}

const INSERT_COLUMNS = `(cardholder_unique_no, cardholder_no, kyc_status, fail_reason, created_at, updated_at, version,
  next_poll_at, poll_attempts, poll_lease_until, poll_lease_owner) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`;

/**
 * Stores what the provider reported, inside the caller's transaction, and returns the
 * `kyc_status_changed` event when (and only when) the status differs from the stored one. The row is
 * locked first, so a command and a poll of one cardholder never both see the old status.
 * After a change the poll schedule restarts; a final status stops it.
 * A command first tries to INSERT the new cardholder (`ON CONFLICT DO NOTHING`): for a create that
 * is the only statement. `locked`: the row the caller already holds FOR UPDATE in `tx`.
 */
export async function recordObservation(
  tx: EntityManager,
  seen: Observation,
  schedule: PollSchedule,
  now: Date = new Date(),
  locked?: Cardholder,
): Promise<{ row: Cardholder; events: CloudEventLike[] }> {
  const table = cardholderTable(tx);
  const nextPollAt = isFinalKyc(seen.status) ? null : new Date(now.getTime() + nextPollDelayMs(0, schedule));
  const fresh: Cardholder = Object.assign(new Cardholder(), {
    cardholderUniqueNo: seen.cardholderUniqueNo,
    cardholderNo: seen.cardholderNo,
    kycStatus: seen.status,
    failReason: seen.status === 'Rejected' ? seen.failReason : null,
    createdAt: now,
    updatedAt: now,
    version: 1,
    nextPollAt,
    pollAttempts: 0,
    pollLeaseUntil: null,
    pollLeaseOwner: null,
  });
  let stored = locked;
  if (!stored && seen.source === 'command') {
    const inserted: unknown[] = await tx.query(
      `INSERT INTO ${table} ${INSERT_COLUMNS} ON CONFLICT (cardholder_unique_no) DO NOTHING RETURNING 1 AS ok`,
      rowParams(fresh),
    );
    if (inserted.length === 0) stored = await lockCardholder(tx, seen.cardholderUniqueNo);
    else return observed(seen, fresh, null, true, now);
  } else if (!stored) {
    stored = await lockCardholder(tx, seen.cardholderUniqueNo);
  }
  const before = stored?.kycStatus ?? null;
  const storedFailReason = stored?.failReason ?? null;
  const changed = before !== seen.status;
  const row: Cardholder = Object.assign(stored ? Object.assign(new Cardholder(), stored) : fresh, {
    cardholderUniqueNo: seen.cardholderUniqueNo,
    cardholderNo: seen.cardholderNo,
    kycStatus: seen.status,
    failReason: seen.status === 'Rejected' ? (seen.failReason ?? storedFailReason) : null,
    updatedAt: now,
    version: (stored?.version ?? 0) + 1,
    // A command re-submits KYC: follow it again from the start, whoever held the old lease.
    ...((changed || seen.source === 'command') && { nextPollAt, pollAttempts: 0, pollLeaseUntil: null, pollLeaseOwner: null }),
  });
  if (!changed && isFinalKyc(seen.status)) row.nextPollAt = null;
  if (stored) {
    await tx.query(
      `UPDATE ${table} SET cardholder_no = $2, kyc_status = $3, fail_reason = $4, created_at = $5, updated_at = $6,
         version = $7, next_poll_at = $8, poll_attempts = $9, poll_lease_until = $10, poll_lease_owner = $11
       WHERE cardholder_unique_no = $1`,
      rowParams(row),
    );
  } else {
    await tx.query(`INSERT INTO ${table} ${INSERT_COLUMNS}`, rowParams(row));
  }
  return observed(seen, row, before, changed, now);
}

function observed(
  seen: Observation,
  row: Cardholder,
  before: KycStatus | null,
  changed: boolean,
  now: Date,
): { row: Cardholder; events: CloudEventLike[] } {
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
