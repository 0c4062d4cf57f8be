import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { KycStatus } from '@issuing-bridge/contracts';
import { KeySecureClient } from '@issuing-bridge/keysecure';
import { KafkaCommandTransport, Outbox } from '@issuing-bridge/messaging';
import { InjectAppConfig } from '@issuing-bridge/platform';
import type { DataSource } from 'typeorm';
import type { CardholderSvcConfig } from '../config/config.schema';
import { Cardholder } from './cardholder.entity';
import { kycMetrics } from './kyc-metrics';
import { isFinalKyc, lockCardholder, nextPollDelayMs, recordObservation, toKycStatus, type PollSchedule } from './kyc-state';
import { findCardholderByUniqueNo } from './provider-lookup';

export interface PollClaim {
  cardholderUniqueNo: string;
  cardholderNo: string;
  kycStatus: KycStatus;
  pollAttempts: number;
  version: number;
}

export type PollOutcome = 'changed' | 'unchanged' | 'stale' | 'error';

const GAUGE_INTERVAL_MS = 5_000;

/** The provider answered for another cardholder than the one stored under this number. */
class ProviderRecordMismatch extends Error {
  constructor() {
    super('cardholder_unique_no: the provider record of cardholder_no belongs to another cardholder_unique_no');
  }
}

/**
 * Follows KYC of every cardholder that is not Approved/Rejected (KeySecure sends no KYC callback).
 * Driven by the table: due rows are claimed with FOR UPDATE SKIP LOCKED and a lease, so N instances
 * never poll one cardholder at once and a dead instance's claims come back after the lease.
 */
@Injectable()
export class KycPoller implements OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly log = new Logger(KycPoller.name);
  private readonly schedule: PollSchedule;
  private readonly table: string;
  private running = false;
  private loop?: Promise<void>;
  private wake?: () => void;
  private lastGauges = 0;
  private readonly outbox: Outbox;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(KeySecureClient) private readonly keysecure: KeySecureClient,
    @InjectAppConfig() private readonly config: CardholderSvcConfig,
    @Inject(KafkaCommandTransport) transport: Pick<KafkaCommandTransport, 'relay'>,
  ) {
    // This process's relay, so a committed change is published at once (no relay: the next poll of another).
    this.outbox = transport.relay?.outbox ?? new Outbox();
    this.schedule = { initialMs: config.KYC_POLL_INITIAL_MS, maxMs: config.KYC_POLL_MAX_MS };
    const meta = dataSource.getMetadata(Cardholder);
    this.table = meta.schema ? `"${meta.schema}"."${meta.tableName}"` : `"${meta.tableName}"`;
  }

  onApplicationBootstrap(): void {
    this.running = true;
    this.loop = this.run();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  /** One round: claim due cardholders, poll them in parallel. Returns how many were claimed. */
  async tick(): Promise<number> {
    const claims = await this.claimDue();
    await Promise.all(claims.map((c) => this.pollOne(c)));
    if (Date.now() - this.lastGauges > GAUGE_INTERVAL_MS) await this.updateGauges();
    return claims.length;
  }

  async claimDue(limit = this.config.KYC_POLL_BATCH_SIZE): Promise<PollClaim[]> {
    const result: unknown = await this.dataSource.query(
      `WITH due AS (
         SELECT cardholder_unique_no FROM ${this.table}
         WHERE next_poll_at <= now() AND (poll_lease_until IS NULL OR poll_lease_until < now())
         ORDER BY next_poll_at LIMIT $1 FOR UPDATE SKIP LOCKED)
       UPDATE ${this.table} c
         SET poll_lease_owner = $2, poll_lease_until = now() + make_interval(secs => $3::double precision / 1000)
       FROM due WHERE c.cardholder_unique_no = due.cardholder_unique_no
       RETURNING c.cardholder_unique_no AS "cardholderUniqueNo", c.cardholder_no AS "cardholderNo",
                 c.kyc_status AS "kycStatus", c.poll_attempts AS "pollAttempts", c.version`,
      [limit, this.owner, this.config.KYC_POLL_LEASE_MS],
    );
    // pg through TypeORM returns [rows, count] for UPDATE … RETURNING.
    const rows = (Array.isArray(result) && Array.isArray(result[0]) ? result[0] : result) as PollClaim[];
    return rows;
  }

  async pollOne(claim: PollClaim): Promise<PollOutcome> {
    const started = process.hrtime.bigint();
    let outcome: PollOutcome;
    try {
      outcome = await this.observe(claim);
    } catch (error) {
      outcome = 'error';
      this.log.warn(
        `KYC poll failed; backing off (cardholder_unique_no=${claim.cardholderUniqueNo}): ${error instanceof Error ? error.message : String(error)}`,
      );
      await this.backOff(claim).catch((e: Error) => this.log.error(`recording a failed poll failed: ${e.message}`));
    }
    kycMetrics.polls.inc({ outcome });
    kycMetrics.pollSeconds.observe({ outcome }, Number(process.hrtime.bigint() - started) / 1e9);
    return outcome;
  }

  private async observe(claim: PollClaim): Promise<PollOutcome> {
    // Leave half the lease for the write, so the claim still holds when the result lands.
    const callOptions = { deadlineMs: Math.max(1, Math.floor(this.config.KYC_POLL_LEASE_MS / 2)) };
    const info = await this.keysecure.getCardholder(claim.cardholderNo, callOptions);
    if (info.cardholder_unique_no !== claim.cardholderUniqueNo) throw new ProviderRecordMismatch();
    const status = toKycStatus(info.status);
    let failReason = typeof info.fail_reason === 'string' ? info.fail_reason : null;
    if (status === 'Rejected' && failReason === null && claim.kycStatus !== 'Rejected') {
      // Cardholder info carries no fail_reason; the list does. Best effort: the status matters more.
      const row = await findCardholderByUniqueNo(this.keysecure, claim.cardholderUniqueNo, callOptions).catch(() => undefined);
      failReason = row?.fail_reason ?? null;
    }
    // outbox.transaction wakes the relay once the change has committed.
    return this.outbox.transaction(this.dataSource, async (tx): Promise<PollOutcome> => {
      const row = await lockCardholder(tx, claim.cardholderUniqueNo);
      // A command wrote since the claim (it restarts the schedule), or our lease ran out: drop this result.
      if (!row || row.version !== claim.version || row.pollLeaseOwner !== this.owner) return 'stale';
      if (row.kycStatus === status) {
        const attempts = row.pollAttempts + 1;
        await tx.query(
          `UPDATE ${this.table} SET poll_attempts = $2, next_poll_at = $3, poll_lease_owner = NULL, poll_lease_until = NULL
           WHERE cardholder_unique_no = $1`,
          [
            row.cardholderUniqueNo,
            attempts,
            isFinalKyc(status) ? null : new Date(Date.now() + nextPollDelayMs(attempts, this.schedule)),
          ],
        );
        return 'unchanged';
      }
      const { events } = await recordObservation(
        tx,
        { cardholderUniqueNo: row.cardholderUniqueNo, cardholderNo: row.cardholderNo, status, failReason, source: 'poll' },
        this.schedule,
        new Date(),
        row,
      );
      await this.outbox.add(
        tx,
        events.map((event) => ({ topic: this.config.CARDHOLDER_EVENTS_TOPIC, key: row.cardholderUniqueNo, event })),
      );
      return 'changed';
    });
  }

  private async backOff(claim: PollClaim): Promise<void> {
    const attempts = claim.pollAttempts + 1;
    await this.dataSource.query(
      `UPDATE ${this.table}
         SET poll_attempts = $1, next_poll_at = now() + make_interval(secs => $2::double precision / 1000),
             poll_lease_owner = NULL, poll_lease_until = NULL
       WHERE cardholder_unique_no = $3 AND poll_lease_owner = $4 AND version = $5`,
      [attempts, nextPollDelayMs(attempts, this.schedule), claim.cardholderUniqueNo, this.owner, claim.version],
    );
  }

  private async updateGauges(): Promise<void> {
    this.lastGauges = Date.now();
    const [row] = (await this.dataSource.query(
      `SELECT count(*) FILTER (WHERE next_poll_at IS NOT NULL) AS followed,
              count(*) FILTER (WHERE next_poll_at <= now() AND (poll_lease_until IS NULL OR poll_lease_until < now())) AS due
       FROM ${this.table}`,
    )) as Array<{ followed: string; due: string }>;
    kycMetrics.followed.set(Number(row?.followed ?? 0));
    kycMetrics.due.set(Number(row?.due ?? 0));
  }

  private async run(): Promise<void> {
    while (this.running) {
      let claimed = 0;
      try {
        claimed = await this.tick();
      } catch (error) {
        this.log.error(`KYC poll round failed: ${error instanceof Error ? error.message : String(error)}`);
      }
      // A full batch means more may be due: go again at once.
      if (this.running && claimed < this.config.KYC_POLL_BATCH_SIZE) await this.pause(this.config.KYC_POLL_TICK_MS);
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    }).then(() => {
      this.wake = undefined;
    });
  }
}
