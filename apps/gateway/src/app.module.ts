import { Module } from '@nestjs/common';
import { PlatformModule } from '@issuing-bridge/platform';
import { configSchema } from './config/config.schema';
import { databaseOptions } from './database/database.options';

export const SERVICE_NAME = 'gateway';

@Module({
  imports: [
    PlatformModule.forService({
      serviceName: SERVICE_NAME,
      configSchema,
      database: databaseOptions,
    }),
    // Feature modules go here.
  ],
})
export class AppModule {}
