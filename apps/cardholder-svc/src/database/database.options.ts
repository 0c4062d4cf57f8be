import type { ServiceDatabaseOptions } from '@issuing-bridge/platform';
import { migrations } from '../migrations';

/**
 * The cardholder-svc database: schema `cardholder`. Entities registered with `TypeOrmModule.forFeature` in
 * feature modules are loaded automatically; tables come only from migrations.
 */
export const databaseOptions: ServiceDatabaseOptions = {
  schema: 'cardholder',
  migrations,
  applicationName: 'cardholder-svc',
};
