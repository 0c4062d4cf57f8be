import { CreateCardSchema1764140000002 } from './1764140000002-CreateCardSchema';
import { CreateCardTables1764140000102 } from './1764140000102-CreateCardTables';
import { InboxRetentionIndex1765000000002 } from './1765000000002-InboxRetentionIndex';

/** Every migration of card-svc, oldest first. Add new ones at the end (`<timestamp>-<Name>.ts`). */
export const migrations = [CreateCardSchema1764140000002, CreateCardTables1764140000102, InboxRetentionIndex1765000000002];
