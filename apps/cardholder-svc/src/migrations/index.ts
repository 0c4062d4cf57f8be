import { CreateCardholderSchema1764140000001 } from './1764140000001-CreateCardholderSchema';

/** Every migration of cardholder-svc, oldest first. Add new ones at the end (`<timestamp>-<Name>.ts`). */
export const migrations = [CreateCardholderSchema1764140000001];
