import { CreateCardholderSchema1764140000001 } from './1764140000001-CreateCardholderSchema';
import { CreateCardholderTables1764140000002 } from './1764140000002-CreateCardholderTables';
import { InboxRetentionIndex1765000000001 } from './1765000000001-InboxRetentionIndex';

/** Every migration of cardholder-svc, oldest first. Add new ones at the end (`<timestamp>-<Name>.ts`). */
export const migrations = [CreateCardholderSchema1764140000001, CreateCardholderTables1764140000002, InboxRetentionIndex1765000000001];
