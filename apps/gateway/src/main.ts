import 'reflect-metadata';
import { bootstrapService } from '@issuing-bridge/platform';
import { AppModule, SERVICE_NAME } from './app.module';
import { configSchema } from './config/config.schema';
import { setupSwaggerDocs } from './docs/swagger-ui';
import { useLenientJsonBody } from './http/json-body';

void bootstrapService(AppModule, {
  serviceName: SERVICE_NAME,
  configSchema,
  portVariable: 'GATEWAY_PORT',
  // KeySecure callbacks are verified over the body's exact bytes (req.rawBody).
  rawBody: true,
  configure: (app) => {
    useLenientJsonBody(app);
    setupSwaggerDocs(app);
  },
});
