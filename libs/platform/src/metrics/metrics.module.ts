import { Controller, Get, Header, Module } from '@nestjs/common';
import { collectDefaultMetrics, register } from 'prom-client';

/**
 * The prom-client default registry. Features create their metrics with `new Counter({...})` etc.
 * (registered here by default) and they appear on GET /metrics.
 */
export const metricsRegistry = register;

let defaultMetricsStarted = false;
/** Process metrics (CPU, memory, event-loop lag, GC); idempotent because the registry is global. */
export function startDefaultMetrics(): void {
  if (defaultMetricsStarted) return;
  defaultMetricsStarted = true;
  collectDefaultMetrics({ register: metricsRegistry });
}

@Controller('metrics')
export class MetricsController {
  @Get()
  @Header('Content-Type', metricsRegistry.contentType)
  scrape(): Promise<string> {
    return metricsRegistry.metrics();
  }
}

@Module({ controllers: [MetricsController] })
export class PlatformMetricsModule {
  constructor() {
    startDefaultMetrics();
  }
}
