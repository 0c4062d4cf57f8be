import { Module } from '@nestjs/common';
import { PlatformModule } from '@issuing-bridge/platform';
import { CardsModule } from './cards/cards.module';
import { configSchema } from './config/config.schema';
import { databaseOptions } from './database/database.options';

export const SERVICE_NAME = 'card-svc';

@Module({
  imports: [
    PlatformModule.forService({
      serviceName: SERVICE_NAME,
      configSchema,
      database: databaseOptions,
    }),
    CardsModule,
  ],
})
export class AppModule {}
