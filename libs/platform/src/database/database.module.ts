import { DynamicModule, Logger, Module } from '@nestjs/common';
import { TypeOrmModule, getDataSourceToken } from '@nestjs/typeorm';
import { DataSource, type DataSourceOptions } from 'typeorm';
import type { BaseConfig } from '../config/base-config.schema';
import { APP_CONFIG } from '../config/platform-config.module';
import {
  buildDataSourceOptions,
  runServiceMigrations,
  type ServiceDatabaseOptions,
} from './service-data-source';
import { DurableWriteCrashPoint } from './durable-write-crash-point';
import { keepPostgresClientErrorsNonFatal } from './pool-errors';

const logger = new Logger('Database');

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
            keepPostgresClientErrorsNonFatal(dataSource, (error) =>
              logger.warn({ msg: 'Postgres connection lost; the pool replaces it', code: (error as { code?: string }).code }),
            );
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
      providers: [
        {
          // Fault testing only (the config refuses the setting in production).
          provide: DurableWriteCrashPoint,
          inject: [APP_CONFIG, getDataSourceToken()],
          useFactory: (config: BaseConfig, dataSource: DataSource) => {
            if (!config.FAULTS_CRASH_AFTER_WRITE_FILE) return null;
            const crashPoint = new DurableWriteCrashPoint(config.FAULTS_CRASH_AFTER_WRITE_FILE);
            crashPoint.install(dataSource);
            logger.warn({ msg: 'fault testing: crash point after durable writes is installed', file: config.FAULTS_CRASH_AFTER_WRITE_FILE });
            return crashPoint;
          },
        },
      ],
      exports: [TypeOrmModule],
    };
  }
}
