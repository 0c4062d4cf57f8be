/**
 * Runs or reverts one app's migrations without starting the app:
 *   npm run migration:run -- card-svc
 *   npm run migration:revert -- card-svc
 * Uses DATABASE_URL (default postgres://postgres@127.0.0.1:5432/issuing_bridge).
 */
import 'reflect-metadata';
import {
  baseConfigSchema,
  ConfigValidationError,
  createServiceDataSource,
  loadConfig,
  revertLastServiceMigration,
  runServiceMigrations,
  type ServiceDatabaseOptions,
} from '@issuing-bridge/platform';
import { databaseOptions as gateway } from '../apps/gateway/src/database/database.options';
import { databaseOptions as cardholderSvc } from '../apps/cardholder-svc/src/database/database.options';
import { databaseOptions as cardSvc } from '../apps/card-svc/src/database/database.options';

const APPS: Record<string, ServiceDatabaseOptions> = {
  gateway,
  'cardholder-svc': cardholderSvc,
  'card-svc': cardSvc,
};
const ACTIONS = ['run', 'revert'] as const;

async function main(): Promise<number> {
  const [action, app] = process.argv.slice(2);
  if (!ACTIONS.includes(action as (typeof ACTIONS)[number]) || !app || !(app in APPS)) {
    console.error(`usage: migrate.ts <${ACTIONS.join('|')}> <${Object.keys(APPS).join('|')}>`);
    return 2;
  }
  const config = loadConfig(baseConfigSchema, process.env, 'migrate');
  const options = APPS[app];
  const dataSource = await createServiceDataSource(config, options).initialize();
  try {
    if (action === 'run') {
      const applied = await runServiceMigrations(dataSource, options.schema);
      console.log(
        applied.length
          ? `${app}: applied ${applied.join(', ')}`
          : `${app}: schema "${options.schema}" is up to date`,
      );
    } else {
      await revertLastServiceMigration(dataSource, options.schema);
      console.log(`${app}: reverted the last migration of schema "${options.schema}"`);
    }
    return 0;
  } finally {
    await dataSource.destroy();
  }
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(
      error instanceof ConfigValidationError ? error.message : `migration failed: ${error.message}`,
    );
    process.exit(1);
  },
);
