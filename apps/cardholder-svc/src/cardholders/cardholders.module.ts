import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { KeySecureModule, recordKeySecureCall } from '@issuing-bridge/keysecure';
import { KafkaCommandTransport, MESSAGING_ENTITIES } from '@issuing-bridge/messaging';
import { APP_CONFIG } from '@issuing-bridge/platform';
import type { CardholderSvcConfig } from '../config/config.schema';
import { CardholderCommandsReadiness, cardholderCommandTransport } from './cardholder-commands';
import { Cardholder } from './cardholder.entity';
import { KycApplyHandler } from './kyc-apply.handler';
import { KycPoller } from './kyc-poller';

/** Cardholder commands (KYC apply: create / update), cardholder state, KYC status following. */
@Module({
  imports: [
    TypeOrmModule.forFeature([Cardholder, ...MESSAGING_ENTITIES]),
    KeySecureModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: CardholderSvcConfig) => ({
        baseUrl: config.KEYSECURE_BASE_URL,
        apiKey: config.KEYSECURE_API_KEY,
        apiSecret: config.KEYSECURE_API_SECRET,
        onCall: recordKeySecureCall(),
      }),
    }),
  ],
  // The transport is connected to the app in main.ts; Nest hands it the controller's @EventPattern methods.
  controllers: [KycApplyHandler],
  providers: [cardholderCommandTransport, CardholderCommandsReadiness, KycPoller],
  exports: [KafkaCommandTransport, KycPoller],
})
export class CardholdersModule {}
