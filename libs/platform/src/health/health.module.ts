import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController, ReadinessRegistry } from './health.controller';
import { KafkaReadiness } from './kafka-readiness';

/** GET /health/live and GET /health/ready (Postgres, Kafka and every `@ReadinessIndicator()`). */
@Module({
  imports: [TerminusModule.forRoot({ logger: false }), DiscoveryModule],
  controllers: [HealthController],
  providers: [KafkaReadiness, ReadinessRegistry],
})
export class PlatformHealthModule {}
