import 'reflect-metadata';
import { bootstrapService } from '@issuing-bridge/platform';
import { AppModule, SERVICE_NAME } from './app.module';
import { configSchema } from './config/config.schema';

void bootstrapService(AppModule, {
  serviceName: SERVICE_NAME,
  configSchema,
  portVariable: 'CARDHOLDER_SVC_PORT',
});
