import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource, type DataSourceOptions } from 'typeorm';
import type { BaseConfig } from '../config/base-config.schema';
import { APP_CONFIG } from '../config/platform-config.module';
import {
  buildDataSourceOptions,
  runServiceMigrations,
  type ServiceDatabaseOptions,
} from './service-data-source';

/**
 * TypeORM for one service: its own Postgres schema (created if missing), migrations applied at start
 * before anything else uses the connection, entities from `TypeOrmModule.forFeature` auto-loaded.
 */
@Module({})
export class DatabaseModule {
  static forService(options: ServiceDatabaseOptions): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          inject: [APP_CONFIG],
          useFactory: (config: BaseConfig) => ({
            ...buildDataSourceOptions(config.DATABASE_URL, options),
            autoLoadEntities: true,
            retryAttempts: 5,
            retryDelay: 2000,
          }),
          dataSourceFactory: async (dataSourceOptions?: DataSourceOptions) => {
            const dataSource = await new DataSource(dataSourceOptions!).initialize();
            try {
              await runServiceMigrations(dataSource, options.schema);
            } catch (error) {
              await dataSource.destroy();
              throw error;
            }
            return dataSource;
          },
        }),
      ],
      exports: [TypeOrmModule],
    };
  }
}
