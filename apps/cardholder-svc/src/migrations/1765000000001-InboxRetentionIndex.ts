import { inboxRetentionIndexMigration } from '@issuing-bridge/messaging';

/** Index on `cardholder.messaging_inbox (processed_at)` for the inbox retention prune (built CONCURRENTLY). */
export const InboxRetentionIndex1765000000001 = inboxRetentionIndexMigration('cardholder', 1765000000001);
