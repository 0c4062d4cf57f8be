import type { ServiceDatabaseOptions } from '@issuing-bridge/platform';
import { migrations } from '../migrations';

/**
 * The card-svc database: schema `card`. Entities registered with `TypeOrmModule.forFeature` in
 * feature modules are loaded automatically; tables come only from migrations.
 */
export const databaseOptions: ServiceDatabaseOptions = {
  schema: 'card',
  migrations,
  applicationName: 'card-svc',
};
