import { Module } from '@nestjs/common';
import { PlatformModule } from '@issuing-bridge/platform';
import { configSchema } from './config/config.schema';
import { databaseOptions } from './database/database.options';
import { GatewayApiModule } from './gateway-api.module';

export const SERVICE_NAME = 'gateway';

@Module({
  imports: [
    PlatformModule.forService({
      serviceName: SERVICE_NAME,
      configSchema,
      database: databaseOptions,
    }),
    GatewayApiModule,
  ],
})
export class AppModule {}
