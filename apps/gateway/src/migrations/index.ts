import { CreateGatewaySchema1764140000000 } from './1764140000000-CreateGatewaySchema';
import { GatewayApiTables1764300000000 } from './1764300000000-GatewayApiTables';
import { UqpayWebhooks1764500000000 } from './1764500000000-UqpayWebhooks';
import { IdempotencyKeyRetention1765000000000 } from './1765000000000-IdempotencyKeyRetention';

/** Every migration of gateway, oldest first. Add new ones at the end (`<timestamp>-<Name>.ts`). */
export const migrations = [
  CreateGatewaySchema1764140000000,
  GatewayApiTables1764300000000,
  UqpayWebhooks1764500000000,
  IdempotencyKeyRetention1765000000000,
];
