import { DiscoveryService } from '@nestjs/core';

/** What a readiness indicator reports; `details` shows up under its name in GET /health/ready. */
export interface ReadinessState {
  ready: boolean;
  details?: Record<string, unknown>;
}

/**
 * A feature's contribution to GET /health/ready (e.g. the messaging engine's "consume loop alive").
 * Implement it on a provider and mark the class with `@ReadinessIndicator()`; the platform finds
 * every such provider in the application at start.
 */
export interface ReadinessCheck {
  /** Key in the health report, e.g. `consume-loop`. */
  readonly readinessName: string;
  checkReadiness(): Promise<ReadinessState> | ReadinessState;
}

/**
 * Class decorator that registers a provider implementing `ReadinessCheck` as a readiness indicator.
 * Nest has no multi-providers, so discovery by this decorator plays that role.
 */
export const ReadinessIndicator = DiscoveryService.createDecorator<void>();
