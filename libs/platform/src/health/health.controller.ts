import { Controller, Get, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import {
  HealthCheck,
  HealthCheckService,
  HealthIndicatorResult,
  HealthIndicatorService,
  TypeOrmHealthIndicator,
} from '@nestjs/terminus';
import { KafkaReadiness } from './kafka-readiness';
import { ReadinessCheck, ReadinessIndicator, ReadinessState } from './readiness';

/** Collects the `@ReadinessIndicator()` providers of the whole application once it is built. */
@Injectable()
export class ReadinessRegistry implements OnApplicationBootstrap {
  private checks: ReadinessCheck[] = [];

  constructor(private readonly discovery: DiscoveryService) {}

  onApplicationBootstrap(): void {
    this.checks = this.discovery
      .getProviders({ metadataKey: ReadinessIndicator.KEY })
      .map((wrapper) => wrapper.instance as ReadinessCheck)
      .filter(
        (instance): instance is ReadinessCheck => typeof instance?.checkReadiness === 'function',
      );
  }

  all(): readonly ReadinessCheck[] {
    return this.checks;
  }
}

@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly typeOrm: TypeOrmHealthIndicator,
    private readonly kafka: KafkaReadiness,
    private readonly registry: ReadinessRegistry,
  ) {}

  /** Liveness: the event loop answers. Dependencies are deliberately not checked here. */
  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([
      () => this.typeOrm.pingCheck('postgres', { timeout: 1500 }),
      () => this.kafka.check().then((state) => this.report('kafka', state)),
      ...this.registry.all().map(
        (check) => () =>
          Promise.resolve()
            .then(() => check.checkReadiness())
            .catch((error: Error) => ({ ready: false, details: { message: error.message } }))
            .then((state) => this.report(check.readinessName, state)),
      ),
    ]);
  }

  private report(key: string, state: ReadinessState): HealthIndicatorResult {
    const indicator = this.indicators.check(key);
    return state.ready ? indicator.up(state.details) : indicator.down(state.details);
  }
}
