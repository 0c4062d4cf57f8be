import { CreateGatewaySchema1764140000000 } from './1764140000000-CreateGatewaySchema';

/** Every migration of gateway, oldest first. Add new ones at the end (`<timestamp>-<Name>.ts`). */
export const migrations = [CreateGatewaySchema1764140000000];
