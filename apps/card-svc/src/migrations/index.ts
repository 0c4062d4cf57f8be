import { CreateCardSchema1764140000002 } from './1764140000002-CreateCardSchema';

/** Every migration of card-svc, oldest first. Add new ones at the end (`<timestamp>-<Name>.ts`). */
export const migrations = [CreateCardSchema1764140000002];
