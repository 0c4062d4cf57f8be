import type { DataSource } from 'typeorm';
import { Column, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

/** Processed command ids. No schema here: each service's DataSource `schema` option places it. */
@Entity({ name: 'messaging_inbox' })
@Index('messaging_inbox_one_outcome_per_id', ['commandId'], { unique: true, where: `outcome <> 'conflict'` })
// What the inbox prune reads (migration: messagingInboxRetentionIndexUp).
@Index('messaging_inbox_processed_at', ['processedAt'])
export class InboxEntry {
  @PrimaryColumn({ name: 'command_id', type: 'text' })
  commandId!: string;

  /** sha256 of type + subject + data, so a reused id with other content is caught. */
  @PrimaryColumn({ name: 'payload_hash', type: 'text' })
  payloadHash!: string;

  @Column({ name: 'command_type', type: 'text', nullable: true })
  commandType!: string | null;

  /** handled | rejected | failed | conflict */
  @Column({ type: 'text' })
  outcome!: string;

  @Column({ name: 'processed_at', type: 'timestamptz', default: () => 'now()' })
  processedAt!: Date;
}

/** Events waiting for the relay. `id` is the publishing order; `claimed_until` is the relay's lease. */
@Entity({ name: 'messaging_outbox' })
@Index('messaging_outbox_unsent', ['id'], { where: 'sent_at IS NULL' })
export class OutboxEntry {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ type: 'text' })
  topic!: string;

  @Column({ type: 'text', nullable: true })
  key!: string | null;

  @Column({ type: 'text' })
  value!: string;

  @Column({ type: 'jsonb', default: () => `'{}'::jsonb` })
  headers!: Record<string, string>;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'claimed_by', type: 'text', nullable: true })
  claimedBy!: string | null;

  @Column({ name: 'claimed_until', type: 'timestamptz', nullable: true })
  claimedUntil!: Date | null;

  @Column({ name: 'sent_at', type: 'timestamptz', nullable: true })
  sentAt!: Date | null;
}

/**
 * The engine's entities. They must be registered with the service's DataSource: import
 * `MessagingModule.forFeature()` (Nest) or add them to the DataSource's `entities`.
 */
export const MESSAGING_ENTITIES = [InboxEntry, OutboxEntry];

/** Fails fast, naming the fix, when the DataSource does not know the engine's entities. */
export function requireMessagingEntities(dataSource: DataSource): void {
  const missing = MESSAGING_ENTITIES.filter((entity) => {
    try {
      dataSource.getMetadata(entity);
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length > 0) {
    throw new Error(
      `dataSource: entities ${missing.map((e) => e.name).join(', ')} are not registered; ` +
        'import MessagingModule.forFeature() in the feature module (or add MESSAGING_ENTITIES to the DataSource entities)',
    );
  }
}
