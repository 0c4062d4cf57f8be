import 'reflect-metadata';
import { KafkaCommandTransport } from '@issuing-bridge/messaging';
import { bootstrapService } from '@issuing-bridge/platform';
import { AppModule, SERVICE_NAME } from './app.module';
import { configSchema } from './config/config.schema';

void bootstrapService(AppModule, {
  serviceName: SERVICE_NAME,
  configSchema,
  portVariable: 'CARDHOLDER_SVC_PORT',
  // The cardholder command consumer: the messaging engine as a Nest custom transport on the same app.
  // app.close() (SIGTERM) closes it: stop fetching, finish in flight, commit, flush the outbox.
  configure: async (app) => {
    app.connectMicroservice({ strategy: app.get(KafkaCommandTransport) }, { inheritAppConfig: true });
    await app.startAllMicroservices();
  },
});
