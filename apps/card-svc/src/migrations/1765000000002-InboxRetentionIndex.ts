import { inboxRetentionIndexMigration } from '@issuing-bridge/messaging';

/** Index on `card.messaging_inbox (processed_at)` for the inbox retention prune (built CONCURRENTLY). */
export const InboxRetentionIndex1765000000002 = inboxRetentionIndexMigration('card', 1765000000002);
