import type { ServiceDatabaseOptions } from '@issuing-bridge/platform';
import { migrations } from '../migrations';

/**
 * The gateway database: schema `gateway`. Entities registered with `TypeOrmModule.forFeature` in
 * feature modules are loaded automatically; tables come only from migrations.
 */
export const databaseOptions: ServiceDatabaseOptions = {
  schema: 'gateway',
  migrations,
  applicationName: 'gateway',
};
