import { DynamicModule, Module } from '@nestjs/common';
import type { z } from 'zod';
import type { BaseConfig } from './config/base-config.schema';
import { PlatformConfigModule } from './config/platform-config.module';
import { DatabaseModule } from './database/database.module';
import type { ServiceDatabaseOptions } from './database/service-data-source';
import { PlatformHealthModule } from './health/health.module';
import { PlatformLoggingModule } from './logging/logging.module';
import { PlatformMetricsModule } from './metrics/metrics.module';

export interface PlatformServiceOptions {
  /** e.g. `card-svc`; appears as `service` in every log line. */
  serviceName: string;
  configSchema: z.ZodType<BaseConfig, unknown>;
  database: ServiceDatabaseOptions;
}

/** Everything a service needs from the platform: config, logging, database + migrations, health, metrics. */
@Module({})
export class PlatformModule {
  static forService(options: PlatformServiceOptions): DynamicModule {
    return {
      module: PlatformModule,
      imports: [
        PlatformConfigModule.forRoot(options.configSchema, options.serviceName),
        PlatformLoggingModule.forService(options.serviceName),
        DatabaseModule.forService(options.database),
        PlatformHealthModule,
        PlatformMetricsModule,
      ],
      exports: [PlatformConfigModule, PlatformLoggingModule, DatabaseModule],
    };
  }
}
