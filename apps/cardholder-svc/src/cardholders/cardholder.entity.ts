import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { KycStatus } from '@issuing-bridge/contracts';

export const FINAL_KYC_STATUSES: readonly KycStatus[] = ['Approved', 'Rejected'];

/** One cardholder as KeySecure last reported it. Table from migration CreateCardholderTables. */
@Entity({ name: 'cardholders' })
export class Cardholder {
  @PrimaryColumn({ name: 'cardholder_unique_no', type: 'text' })
  cardholderUniqueNo!: string;

  /** KeySecure's number. */
  @Column({ name: 'cardholder_no', type: 'text' })
  cardholderNo!: string;

  @Column({ name: 'kyc_status', type: 'text' })
  kycStatus!: KycStatus;

  @Column({ name: 'fail_reason', type: 'text', nullable: true })
  failReason!: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;

  /** Bumped by every write, so a poll result read before a newer write can be recognised and dropped. */
  @Column({ type: 'integer', default: 1 })
  version!: number;

  /** Null once KYC is final: nothing left to follow. */
  @Column({ name: 'next_poll_at', type: 'timestamptz', nullable: true })
  nextPollAt!: Date | null;

  @Column({ name: 'poll_attempts', type: 'integer', default: 0 })
  pollAttempts!: number;

  @Column({ name: 'poll_lease_until', type: 'timestamptz', nullable: true })
  pollLeaseUntil!: Date | null;

  @Column({ name: 'poll_lease_owner', type: 'text', nullable: true })
  pollLeaseOwner!: string | null;
}
