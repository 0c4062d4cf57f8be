import { Module } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import { APP_CONFIG } from '@issuing-bridge/platform';
import { ApiKeyGuard } from './auth/api-key.guard';
import { ApiKeyRegistry, parseApiClients } from './auth/api-keys';
import { ClientThrottlerGuard } from './auth/client-throttler.guard';
import { CallbackInbox } from './callbacks/callback-inbox';
import { CallbacksController } from './callbacks/callbacks.controller';
import { UqpayWebhookInbox } from './callbacks/uqpay-webhook-inbox';
import { CardDataSealer } from './commands/card-data-sealer';
import { CommandIntake } from './commands/command-intake';
import { CommandsController } from './commands/commands.controller';
import { IdempotencyKeyRetention } from './commands/idempotency-key-retention';
import type { GatewayConfig } from './config/config.schema';
import { GatewayPublisher } from './kafka/gateway-publisher';
import { ReadModelConsumer } from './read-model/read-model-consumer';
import { ReadModelProjector } from './read-model/read-model-projector';
import { ReadModelQueries } from './read-model/read-model-queries';
import { StatusController } from './read-model/status.controller';

/** The HTTP API, the command status read model and the KeySecure / UQPAY callback endpoints. */
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: GatewayConfig) => [
        { ttl: config.GATEWAY_RATE_LIMIT_WINDOW_MS, limit: config.GATEWAY_RATE_LIMIT },
      ],
    }),
  ],
  controllers: [CommandsController, StatusController, CallbacksController],
  providers: [
    {
      provide: ApiKeyRegistry,
      inject: [APP_CONFIG],
      useFactory: (config: GatewayConfig) =>
        new ApiKeyRegistry(
          parseApiClients(config.GATEWAY_API_KEYS, config.GATEWAY_DISABLED_API_CLIENTS),
        ),
    },
    ApiKeyGuard,
    ClientThrottlerGuard,
    GatewayPublisher,
    CardDataSealer,
    CommandIntake,
    IdempotencyKeyRetention,
    CallbackInbox,
    UqpayWebhookInbox,
    ReadModelProjector,
    ReadModelQueries,
    ReadModelConsumer,
  ],
})
export class GatewayApiModule {}
