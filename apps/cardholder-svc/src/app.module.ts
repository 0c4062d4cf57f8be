import { Module } from '@nestjs/common';
import { PlatformModule } from '@issuing-bridge/platform';
import { configSchema } from './config/config.schema';
import { databaseOptions } from './database/database.options';
import { CardholdersModule } from './cardholders/cardholders.module';

export const SERVICE_NAME = 'cardholder-svc';

@Module({
  imports: [
    PlatformModule.forService({
      serviceName: SERVICE_NAME,
      configSchema,
      database: databaseOptions,
    }),
    CardholdersModule,
  ],
})
export class AppModule {}
