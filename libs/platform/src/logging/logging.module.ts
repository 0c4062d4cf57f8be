import { DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { Options } from 'pino-http';
import { APP_CONFIG } from '../config/platform-config.module';
import type { BaseConfig } from '../config/base-config.schema';
import { redactOptions } from './redaction';
import { requestIdFor } from './request-id';

// Probes hit these every few seconds; logging each request would drown real traffic.
const QUIET_PATHS = ['/health/live', '/health/ready', '/metrics'];

// Behind Fastify's middleware layer `url` may be rewritten; `originalUrl` keeps the full path.
function requestPath(req: { url?: string; originalUrl?: string }): string {
  return (req.originalUrl ?? req.url ?? '').split('?')[0];
}

export function pinoHttpOptions(
  config: Pick<BaseConfig, 'LOG_LEVEL'>,
  serviceName: string,
): Options {
  return {
    level: config.LOG_LEVEL,
    base: { service: serviceName },
    redact: redactOptions(),
    // Fastify assigns req.id first (see bootstrapService); this covers servers without that.
    genReqId: requestIdFor,
    autoLogging: { ignore: (req) => QUIET_PATHS.includes(requestPath(req)) },
    // Default serializers; bodies are never logged automatically.
  };
}

@Module({})
export class PlatformLoggingModule {
  static forService(serviceName: string): DynamicModule {
    return {
      module: PlatformLoggingModule,
      imports: [
        LoggerModule.forRootAsync({
          inject: [APP_CONFIG],
          useFactory: (config: BaseConfig) => ({ pinoHttp: pinoHttpOptions(config, serviceName) }),
        }),
      ],
      exports: [LoggerModule],
    };
  }
}
