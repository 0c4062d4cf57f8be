import type { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import type { KafkaCommandTransport } from './kafka-command-transport';

/** For liveness: down when the consume loop crashed or stopped. */
export function consumerLiveness(
  indicator: HealthIndicatorService,
  transport: KafkaCommandTransport,
  key = 'kafka-consumer',
): HealthIndicatorResult {
  const check = indicator.check(key);
  return transport.isAlive() ? check.up() : check.down({ reason: 'consume loop not running' });
}

/** For readiness: alive and holding partitions of the group. */
export function consumerReadiness(
  indicator: HealthIndicatorService,
  transport: KafkaCommandTransport,
  key = 'kafka-consumer',
): HealthIndicatorResult {
  const check = indicator.check(key);
  if (!transport.isAlive()) return check.down({ reason: 'consume loop not running' });
  return transport.isReady() ? check.up({ inFlight: transport.inFlight }) : check.down({ reason: 'no partitions assigned' });
}
